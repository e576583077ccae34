//! Intl formatting for the web app: prices from integer minor units in an event's currency,
//! times in the venue's zone with the zone named (and the reader's own time when it differs),
//! waits as rounded durations. Pure functions of their arguments (the locale included), so
//! they are unit-tested for ko-KR and en-US; `i18n/index.ts` binds them to the reader's locale.

/** Decimals of a currency's minor unit, as Intl knows them (KRW/JPY 0, USD 2, BHD 3). An
 *  unknown code counts as 2, so a price still shows. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** 9900000 KRW -> "₩9,900,000"; 2500 USD -> "$25.00" (en-US) or "US$25.00" (ko-KR). */
export function formatPrice(minor: number, currency: string, locale: string): string {
  const key = `${locale}|${currency}`;
  let f = moneyFormats.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, { style: "currency", currency });
    } catch {
      // An unknown currency code: the amount with the code after it, never a wrong symbol.
      const digits = 2;
      return `${new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(minor / 10 ** digits)} ${currency}`;
    }
    moneyFormats.set(key, f);
  }
  return f.format(minor / 10 ** (f.resolvedOptions().maximumFractionDigits ?? 2));
}

/** The currency's symbol as the reader's locale writes it ("₩", "$", "US$"). */
export function currencySymbol(currency: string, locale: string): string {
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency }).formatToParts(0).find((p) => p.type === "currency")?.value ?? currency;
  } catch {
    return currency;
  }
}

/** A price typed in major units ("99000", "99,000" for KRW; "12.5", "12,50" for USD) as
 *  minor units; null for anything else, or more decimals than the currency has. */
export function parseMajor(value: string, currency: string): number | null {
  const digits = currencyDigits(currency);
  let v = value.trim().replace(/\s/g, "");
  // Thousands separators: "99,000" or "1,234,567" (only where a comma cannot be a decimal point).
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(v) && (digits === 0 || v.includes("."))) v = v.replace(/,/g, "");
  const m = /^(\d{1,12})(?:[.,](\d+))?$/.exec(v);
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > digits) return null;
  const minor = Number(m[1]) * 10 ** digits + Number(frac.padEnd(digits, "0") || "0");
  return Number.isSafeInteger(minor) ? minor : null;
}

/** Minor units as the major-unit text a form field shows: 9900000 KRW -> "99000",
 *  1250 USD -> "12.50". */
export function minorToMajor(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  if (digits === 0) return String(minor);
  const whole = Math.floor(minor / 10 ** digits);
  return `${whole}.${String(minor % 10 ** digits).padStart(digits, "0")}`;
}

/** A number in the reader's locale (grouping as they expect). */
export function formatNumber(n: number, locale: string, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(locale, options).format(n);
}

/** Is `zone` an IANA time zone this browser knows? */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The browser's own zone ("UTC" when it does not say). */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

const DATE_TIME: Intl.DateTimeFormatOptions = { weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" };
const TIME: Intl.DateTimeFormatOptions = { hour: "numeric", minute: "2-digit" };

function safeZone(zone: string | undefined): string | undefined {
  return zone && isTimeZone(zone) ? zone : undefined;
}

/** A date and time in `timeZone` (the reader's when absent): "Sat, Dec 12, 2026, 7:30 PM" /
 *  "2026년 12월 12일 (토) 오후 7:30". */
export function formatDateTime(iso: string | number | Date, locale: string, timeZone?: string, options: Intl.DateTimeFormatOptions = DATE_TIME): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: safeZone(timeZone) }).format(d);
}

/** A time of day in `timeZone` (the reader's when absent): "7:30 PM" / "오후 7:30". */
export function formatTime(iso: string | number | Date, locale: string, timeZone?: string, withSeconds = false): string {
  return formatDateTime(iso, locale, timeZone, withSeconds ? { ...TIME, second: "2-digit" } : TIME);
}

/** The zone's localized long name: "Korean Standard Time" / "한국 표준시". */
export function zoneLongName(at: string | number | Date, zone: string, locale: string): string {
  const z = safeZone(zone);
  if (!z) return zone;
  const part = new Intl.DateTimeFormat(locale, { timeZone: z, timeZoneName: "long" }).formatToParts(new Date(at)).find((p) => p.type === "timeZoneName");
  return part?.value ?? zone;
}

/** Minutes east of UTC of `zone` at `at`. */
export function zoneOffsetMinutes(at: string | number | Date, zone: string): number {
  const d = new Date(at);
  const z = safeZone(zone) ?? "UTC";
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: z, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour) % 24, Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - (d.getTime() - d.getMilliseconds())) / 60_000);
}

/** An event's time as the venue has it, named by its zone, and the reader's own time when
 *  the reader's zone is at another offset then (`reader` null otherwise). `readerSameDay`:
 *  the reader's date is the venue's, so the time alone says it. */
export interface EventTime {
  venue: string;
  zone: string;
  zoneName: string;
  reader: string | null;
}

export function eventTime(iso: string, venueZone: string, locale: string, readerZone: string = browserZone()): EventTime {
  const zone = safeZone(venueZone) ?? "UTC";
  const venue = formatDateTime(iso, locale, zone);
  let reader: string | null = null;
  if (zoneOffsetMinutes(iso, zone) !== zoneOffsetMinutes(iso, readerZone)) {
    const dayOf = (z: string) => formatDateTime(iso, "en-US", z, { year: "numeric", month: "2-digit", day: "2-digit" });
    reader = dayOf(zone) === dayOf(readerZone)
      ? formatTime(iso, locale, readerZone)
      : formatDateTime(iso, locale, readerZone, { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
  }
  return { venue, zone, zoneName: zoneLongName(iso, zone, locale), reader };
}

/** A wait in seconds as a rounded duration: under a minute in seconds (exact), then about
 *  N minutes, then about N hours. `approx` says whether to say "about". */
export function waitDuration(seconds: number, locale: string): { text: string; approx: boolean } {
  const s = Math.max(0, Math.round(seconds));
  const unit = (value: number, u: "second" | "minute" | "hour") =>
    new Intl.NumberFormat(locale, { style: "unit", unit: u, unitDisplay: "long" }).format(value);
  if (s < 60) return { text: unit(s, "second"), approx: false };
  const m = Math.round(s / 60);
  if (m < 60) return { text: unit(m, "minute"), approx: true };
  return { text: unit(Math.round(m / 6) / 10, "hour"), approx: true };
}

/** "m:ss" (or "h:mm:ss") for a countdown of `s` seconds. */
export function clockText(s: number): string {
  const t = Math.max(0, Math.floor(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

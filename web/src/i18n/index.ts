//! Korean and English for the web app (issue 18), with i18next + react-i18next.
//!
//! The language comes from what the reader chose with the header's switcher (kept in
//! localStorage under `boxoffice.lang`), else from the browser (navigator.language), else
//! English. English is bundled (it is also every missing key's fallback); Korean is a chunk of
//! its own, loaded before the first render when it is the language, or when switched to.
//! `<html lang>` follows the language. Formatting goes through `format.ts` with the locale of
//! the language (ko -> ko-KR; en -> the browser's English, else en-US).

import i18n from "i18next";
import LanguageDetector from "i18next-browser-languagedetector";
import { initReactI18next } from "react-i18next";
import { en } from "./en";
import * as format from "./format";

export const LANGUAGES = ["en", "ko"] as const;
export type Language = (typeof LANGUAGES)[number];
/** localStorage key of the language the reader chose with the switcher. */
export const LANG_KEY = "boxoffice.lang";

declare module "i18next" {
  interface CustomTypeOptions {
    defaultNS: "translation";
    resources: { translation: typeof en };
  }
}

const loaders: Record<Language, () => Promise<unknown>> = {
  en: async () => en,
  ko: async () => (await import("./ko")).ko,
};

function htmlLang(lng: string | undefined) {
  if (typeof document !== "undefined") document.documentElement.lang = asLanguage(lng);
}

/** The supported language a code means ("ko-KR" -> "ko"; anything else -> "en"). */
export function asLanguage(code: string | undefined | null): Language {
  const base = (code ?? "").toLowerCase().split(/[-_]/)[0];
  return (LANGUAGES as readonly string[]).includes(base) ? (base as Language) : "en";
}

void i18n
  .use(LanguageDetector)
  .use(initReactI18next)
  .init({
    resources: { en: { translation: en } },
    partialBundledLanguages: true,
    supportedLngs: [...LANGUAGES],
    nonExplicitSupportedLngs: true,
    load: "languageOnly",
    fallbackLng: "en",
    initAsync: false,
    interpolation: { escapeValue: false }, // React escapes
    returnNull: false,
    detection: {
      order: ["localStorage", "navigator"],
      lookupLocalStorage: LANG_KEY,
      // Only the switcher writes the choice: a reader who never chose follows their browser.
      caches: [],
    },
    react: { useSuspense: false },
  });
i18n.on("languageChanged", htmlLang);

/** The current language (one of LANGUAGES). */
export const language = (): Language => asLanguage(i18n.resolvedLanguage ?? i18n.language);

/** Loads the language's catalogue (once) and switches to it. */
export async function switchTo(lng: Language): Promise<void> {
  if (!i18n.hasResourceBundle(lng, "translation")) {
    i18n.addResourceBundle(lng, "translation", await loaders[lng](), true, true);
  }
  await i18n.changeLanguage(lng);
  htmlLang(lng);
}

/** Before the first render: the detected language's catalogue is there. */
export const i18nReady: Promise<void> = switchTo(asLanguage(i18n.language)).catch(() => undefined);

/** The switcher: switches and remembers the choice. */
export async function chooseLanguage(lng: Language): Promise<void> {
  try {
    localStorage.setItem(LANG_KEY, lng);
  } catch {
    /* storage refused: the choice lasts for this page */
  }
  await switchTo(lng);
}

/** The BCP 47 locale Intl formats with: ko -> ko-KR; en -> the browser's English variant if it
 *  has one (en-GB stays en-GB), else en-US. */
export function locale(lng: Language = language()): string {
  if (lng === "ko") return "ko-KR";
  const nav = typeof navigator !== "undefined" ? navigator.languages ?? [navigator.language] : [];
  return nav.find((l) => /^en-[A-Za-z]{2}$/.test(l ?? "")) ?? "en-US";
}

/** Formatting in the current language's locale (call during render: a language change
 *  re-renders every component using useTranslation). */
export const fmt = {
  price: (minor: number, currency: string) => format.formatPrice(minor, currency, locale()),
  number: (n: number, options?: Intl.NumberFormatOptions) => format.formatNumber(n, locale(), options),
  dateTime: (iso: string | number | Date, timeZone?: string) => format.formatDateTime(iso, locale(), timeZone),
  time: (iso: string | number | Date, timeZone?: string, withSeconds = false) => format.formatTime(iso, locale(), timeZone, withSeconds),
  /** "Sat, Dec 12, 2026, 7:30 PM (Asia/Seoul) · 5:30 AM your time". */
  eventTime: (iso: string, venueZone: string) => {
    const e = format.eventTime(iso, venueZone, locale());
    const venue = i18n.t("time.inZone", { time: e.venue, zone: e.zone });
    return e.reader ? i18n.t("time.withReader", { venue, reader: e.reader }) : venue;
  },
  /** "about 3 minutes" / "약 3분"; "45 seconds" / "45초". */
  wait: (seconds: number) => {
    const d = format.waitDuration(seconds, locale());
    return d.approx ? i18n.t("time.about", { duration: d.text }) : d.text;
  },
};

export { i18n };
export default i18n;

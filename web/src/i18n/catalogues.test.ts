// The catalogues stay in step: a key in one and not the other, a plural without the forms its
// language needs, different {{placeholders}} between the languages, a key the source uses
// that no catalogue has, or an ErrorCode without a message, all fail here.

import { describe, expect, it } from "vitest";
import { en, type Catalogue } from "./en";
import { ko } from "./ko";

const PLURAL = /_(zero|one|two|few|many|other)$/;

function flatten(c: Catalogue, prefix = "", out = new Map<string, string>()): Map<string, string> {
  for (const [k, v] of Object.entries(c)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "string") out.set(key, v);
    else flatten(v, key, out);
  }
  return out;
}

/** Keys with plural suffixes folded to their base, and the forms each base has. */
function bases(flat: Map<string, string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const key of flat.keys()) {
    const m = PLURAL.exec(key);
    const base = m ? key.slice(0, -m[0].length) : key;
    if (!out.has(base)) out.set(base, new Set());
    if (m) out.get(base)!.add(m[1]);
  }
  return out;
}

const placeholders = (s: string) => [...s.matchAll(/\{\{\s*([\w.]+)(?:\s*,[^}]*)?\s*\}\}/g)].map((m) => m[1]).sort();

const catalogues = { en: flatten(en), ko: flatten(ko) };
const keysOf = { en: bases(catalogues.en), ko: bases(catalogues.ko) };

// Every source file but tests and the catalogues themselves, as text.
const sources = import.meta.glob(["../**/*.ts", "../**/*.tsx", "!../**/*.test.ts", "!./en.ts", "!./ko.ts", "!../api.gen.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

/** Literal keys the source uses: t("…"), i18n.t("…"), i18nKey="…", tk("…") (a key kept in
 *  data and translated later). Template literals count when they have no ${…}. */
function usedKeys(): Map<string, string> {
  const used = new Map<string, string>();
  const patterns = [/\bt\(\s*(["'`])([^"'`$\n]+)\1/g, /\btk\(\s*(["'`])([^"'`$\n]+)\1/g, /i18nKey=\{?\s*(["'`])([^"'`$\n]+)\1/g];
  for (const [file, text] of Object.entries(sources)) {
    for (const re of patterns) for (const m of text.matchAll(re)) used.set(m[2], file);
  }
  return used;
}

describe("catalogues", () => {
  it("have the same keys in English and Korean", () => {
    const onlyEn = [...keysOf.en.keys()].filter((k) => !keysOf.ko.has(k));
    const onlyKo = [...keysOf.ko.keys()].filter((k) => !keysOf.en.has(k));
    expect({ missingInKorean: onlyEn, missingInEnglish: onlyKo }).toEqual({ missingInKorean: [], missingInEnglish: [] });
  });

  it("have every plural form each language needs", () => {
    const missing: string[] = [];
    for (const lng of ["en", "ko"] as const) {
      const needed = new Intl.PluralRules(lng).resolvedOptions().pluralCategories;
      for (const [base, forms] of keysOf[lng]) {
        if (forms.size === 0) continue;
        for (const f of needed) if (!forms.has(f)) missing.push(`${lng}: ${base}_${f}`);
      }
      // A plural in one language is a plural in the other.
      const other = keysOf[lng === "en" ? "ko" : "en"];
      for (const [base, forms] of keysOf[lng]) if (forms.size > 0 && other.get(base)?.size === 0) missing.push(`${lng === "en" ? "ko" : "en"}: ${base} is not plural`);
    }
    expect(missing).toEqual([]);
  });

  it("use the same placeholders in both languages", () => {
    const differ: string[] = [];
    const byBase = (flat: Map<string, string>) => {
      const m = new Map<string, string[]>();
      for (const [k, v] of flat) {
        const base = k.replace(PLURAL, "");
        m.set(base, [...new Set([...(m.get(base) ?? []), ...placeholders(v)])].sort());
      }
      return m;
    };
    const e = byBase(catalogues.en);
    const k = byBase(catalogues.ko);
    for (const [base, ph] of e) {
      // {{count}} may be left out of a plural form ("one ticket"), never other placeholders.
      const a = ph.filter((p) => p !== "count").join(",");
      const b = (k.get(base) ?? []).filter((p) => p !== "count").join(",");
      if (k.has(base) && a !== b) differ.push(`${base}: en {${a}} ko {${b}}`);
    }
    expect(differ).toEqual([]);
  });

  it("have no empty texts", () => {
    const empty = [...catalogues.en, ...catalogues.ko].filter(([, v]) => v.trim() === "").map(([k]) => k);
    expect(empty).toEqual([]);
  });

  it("have every key the source uses", () => {
    const used = usedKeys();
    expect(used.size).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const [key, file] of used) {
      for (const lng of ["en", "ko"] as const) if (!keysOf[lng].has(key)) missing.push(`${lng}: ${key} (${file})`);
    }
    expect(missing).toEqual([]);
  });

  it("have a message for every error code the server sends", () => {
    const gen = import.meta.glob("../api.gen.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
    const line = /ErrorCode:\s*((?:"[a-z_]+"\s*\|?\s*)+);/.exec(Object.values(gen)[0] ?? "");
    const codes = [...(line?.[1].matchAll(/"([a-z_]+)"/g) ?? [])].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(20);
    const missing = codes.flatMap((c) => (["en", "ko"] as const).filter((l) => !keysOf[l].has(`errors.${c}`)).map((l) => `${l}: errors.${c}`));
    expect(missing).toEqual([]);
  });

  it("the scan finds a key it is shown", () => {
    // The scanner itself: a key missing from both catalogues is reported.
    const text = 'const a = t("nowhere.at_all"); i18n.t(`app.brand`);';
    const found = [...text.matchAll(/\bt\(\s*(["'`])([^"'`$\n]+)\1/g)].map((m) => m[2]);
    expect(found).toEqual(["nowhere.at_all", "app.brand"]);
    expect(keysOf.en.has("nowhere.at_all")).toBe(false);
  });
});

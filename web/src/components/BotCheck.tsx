// The proof-of-work bot check: the `altcha` widget fetches a challenge from the server,
// solves it in a Web Worker (about a second of CPU), shows where it is ("Verifying…",
// "Verified"), and hands the payload to `onSolved`, which sends it as `X-Bot-Check`.
//
// `altcha/external` is the build for a strict Content-Security-Policy: no inline styles or
// workers made from blob: URLs. Its CSS is a plain stylesheet and the SHA-256 worker is a file
// Vite emits under /assets/ (worker-src 'self').

import "altcha/external";
import "altcha/altcha.css";
// The widget's own words in Korean (English is built in); it follows the `language` given.
import "altcha/i18n/ko";
import type {} from "altcha/types/react";
import ShaWorker from "altcha/workers/sha?worker";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { language } from "../i18n";

$altcha.algorithms.set("SHA-256", () => new ShaWorker());

type State = "unverified" | "verifying" | "verified" | "expired" | "error" | "code";

export function BotCheck({ onSolved, why }: { onSolved: (payload: string) => void; why: string }) {
  useTranslation(); // re-render (and re-label the widget) when the language changes
  const ref = useRef<HTMLElement>(null);
  const [state, setState] = useState<State>("unverified");
  const solved = useRef(onSolved);
  solved.current = onSolved;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onState = (e: Event) => setState((e as CustomEvent<{ state: State }>).detail.state);
    const onVerified = (e: Event) => solved.current((e as CustomEvent<{ payload: string }>).detail.payload);
    el.addEventListener("statechange", onState);
    el.addEventListener("verified", onVerified);
    return () => {
      el.removeEventListener("statechange", onState);
      el.removeEventListener("verified", onVerified);
    };
  }, []);

  return (
    <div className="botcheck" data-testid="botcheck" data-state={state}>
      <p className="muted">{why}</p>
      {/* auto="onload": solving starts at once, no click needed. */}
      <altcha-widget ref={ref} challenge="/api/botcheck/challenge" auto="onload" name="botcheck" language={language()} />
    </div>
  );
}

import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, errorText, type User } from "../api";
import { BotCheck } from "../components/BotCheck";

/** Automatic fresh tries after a refused bot check (one that expired while the page sat). */
const BOT_CHECK_RETRIES = 2;

export function SignIn({ onSignedIn }: { onSignedIn: (s: { token: string; user: User }) => void }) {
  const { t } = useTranslation();
  const [mode, setMode] = useState<"login" | "register">("login");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The server says whether guests need a bot check (BOT_CHECK=pow) by answering
  // `bot_check_required`; the widget then solves one and the guest sign-in goes on by itself.
  const [botCheck, setBotCheck] = useState<{ round: number } | null>(null);

  const run = async (f: () => Promise<{ token: string; user: User }>) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await f());
    } catch (e) {
      setError(errorText(e));
      throw e;
    } finally {
      setBusy(false);
    }
  };

  const guest = (proof?: string) =>
    run(() => api.guest(proof)).then(
      () => setBotCheck(null),
      (e) => {
        const code = e instanceof ApiError ? e.code : "";
        const round = (botCheck?.round ?? -1) + 1;
        if (code === "bot_check_required" || (code === "bot_check_failed" && round <= BOT_CHECK_RETRIES)) {
          setError(null);
          setBotCheck({ round });
        } else {
          setBotCheck(null);
        }
      },
    );

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const email = String(f.get("email"));
    const password = String(f.get("password"));
    run(() => (mode === "login" ? api.login(email, password) : api.register(email, password, String(f.get("name"))))).catch(() => undefined);
  };

  return (
    <main className="signin card" data-testid="signin">
      <h1>{t("signin.title")}</h1>
      <p className="muted">{t("signin.intro")}</p>
      <div className="tabs" role="tablist" aria-label={t("signin.modes")}>
        <button role="tab" aria-selected={mode === "login"} onClick={() => setMode("login")}>{t("signin.logIn")}</button>
        <button role="tab" aria-selected={mode === "register"} onClick={() => setMode("register")}>{t("signin.register")}</button>
      </div>
      <form onSubmit={submit}>
        {mode === "register" && (
          <label>{t("signin.name")}<input name="name" autoComplete="name" required maxLength={100} /></label>
        )}
        <label>{t("signin.email")}<input name="email" type="email" autoComplete="email" required /></label>
        <label>
          {t("signin.password")}
          <input name="password" type="password" autoComplete={mode === "login" ? "current-password" : "new-password"} required minLength={8} />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>{mode === "login" ? t("signin.logIn") : t("signin.create")}</button>
      </form>
      <hr />
      <button type="button" className="secondary" data-testid="guest" disabled={busy || !!botCheck} onClick={() => guest()}>
        {t("signin.guest")}
      </button>
      {botCheck && (
        <BotCheck key={botCheck.round} why={t("botcheck.signin")} onSolved={(p) => guest(p)} />
      )}
    </main>
  );
}

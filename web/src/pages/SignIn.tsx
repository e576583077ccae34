import { useState, type FormEvent } from "react";
import { api, ApiError, type User } from "../api";

export function SignIn({ onSignedIn }: { onSignedIn: (s: { token: string; user: User }) => void }) {
  const [mode, setMode] = useState<"login" | "register">("login");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (f: () => Promise<{ token: string; user: User }>) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await f());
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "Could not reach the box office. Try again.");
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const email = String(f.get("email"));
    const password = String(f.get("password"));
    run(() => (mode === "login" ? api.login(email, password) : api.register(email, password, String(f.get("name")))));
  };

  return (
    <main className="signin card" data-testid="signin">
      <h1>Welcome to Boxoffice</h1>
      <p className="muted">Sign in to buy tickets, or look around as a guest.</p>
      <div className="tabs" role="tablist">
        <button role="tab" aria-selected={mode === "login"} onClick={() => setMode("login")}>Log in</button>
        <button role="tab" aria-selected={mode === "register"} onClick={() => setMode("register")}>Register</button>
      </div>
      <form onSubmit={submit}>
        {mode === "register" && (
          <label>Name<input name="name" autoComplete="name" required maxLength={100} /></label>
        )}
        <label>Email<input name="email" type="email" autoComplete="email" required /></label>
        <label>
          Password
          <input name="password" type="password" autoComplete={mode === "login" ? "current-password" : "new-password"} required minLength={8} />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>{mode === "login" ? "Log in" : "Create account"}</button>
      </form>
      <hr />
      <button type="button" className="secondary" data-testid="guest" disabled={busy} onClick={() => run(api.guest)}>
        Continue as guest
      </button>
    </main>
  );
}

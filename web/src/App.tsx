import { lazy, Suspense, useState } from "react";
import { useTranslation } from "react-i18next";
import { savedSession, saveSession, type User } from "./api";
import { ConnectionIndicator } from "./components/ConnectionIndicator";
import { LanguageSwitcher } from "./components/LanguageSwitcher";
import { OfferNotice } from "./components/OfferNotice";
import { SocketProvider } from "./hooks/useSocket";
import { Checkout } from "./pages/Checkout";
import { EventPage } from "./pages/EventPage";
import { Events } from "./pages/Events";
import { Orders } from "./pages/Orders";
import { SignIn } from "./pages/SignIn";
import { WaitingRoom } from "./pages/WaitingRoom";
import { Link, match, usePath } from "./router";

// The operator console (and uPlot, its charts) is a chunk of its own: shoppers never load it.
const AdminEventPage = lazy(() => import("./pages/admin/AdminEventPage").then((m) => ({ default: m.AdminEventPage })));
const AdminEvents = lazy(() => import("./pages/admin/AdminEvents").then((m) => ({ default: m.AdminEvents })));
const EventForm = lazy(() => import("./pages/admin/EventForm").then((m) => ({ default: m.EventForm })));

function Screen({ path, user }: { path: string; user: User }) {
  if (path === "/admin" || path.startsWith("/admin/")) {
    // The server answers 403 to anyone else anyway; this says so before asking.
    if (user.role !== "admin") return <AdminsOnly />;
    return <Suspense fallback={<Loading />}><AdminScreen path={path} /></Suspense>;
  }
  return <ShopperScreen path={path} />;
}

function Loading() {
  const { t } = useTranslation();
  return <p aria-busy="true">{t("app.loading")}</p>;
}

function AdminScreen({ path }: { path: string }) {
  let m;
  if (match("/admin/events/new", path)) return <EventForm key="new" />;
  if ((m = match("/admin/events/:id/edit", path))) return <EventForm key={`edit-${m.id}`} eventId={m.id} />;
  if ((m = match("/admin/events/:id", path))) return <AdminEventPage key={m.id} eventId={m.id} />;
  return <AdminEvents />;
}

function ShopperScreen({ path }: { path: string }) {
  let m;
  if ((m = match("/events/:id/queue", path))) return <WaitingRoom key={m.id} eventId={m.id} />;
  if ((m = match("/events/:id", path))) return <EventPage key={m.id} eventId={m.id} />;
  if ((m = match("/checkout/:id", path))) return <Checkout key={m.id} reservationId={m.id} />;
  if (match("/orders", path)) return <Orders />;
  return <Events />;
}

function AdminsOnly() {
  const { t } = useTranslation();
  return (
    <main className="card" data-testid="admins-only">
      <h1>{t("app.adminsOnlyTitle")}</h1>
      <p>{t("app.adminsOnlyText")} <Link to="/">{t("app.backToEvents")}</Link></p>
    </main>
  );
}

export function App() {
  const { t } = useTranslation();
  const [session, setSession] = useState<{ token: string; user: User } | null>(savedSession);
  const path = usePath();

  const signIn = (s: { token: string; user: User }) => {
    saveSession(s);
    setSession(s);
  };

  return (
    <SocketProvider token={session?.token ?? null}>
      <header className="top">
        <Link to="/" className="brand">
          <svg width="22" height="16" viewBox="0 0 22 16" aria-hidden="true" className="brand-icon">
            <path d="M1 1h20v4a3 3 0 0 0 0 6v4H1v-4a3 3 0 0 0 0-6z" fill="#f59e0b" />
          </svg>
          {t("app.brand")}
        </Link>
        {session && (
          <nav aria-label={t("app.mainNav")}>
            <Link to="/">{t("app.events")}</Link>
            <Link to="/orders">{t("app.orders")}</Link>
            {session.user.role === "admin" && <Link to="/admin">{t("app.admin")}</Link>}
          </nav>
        )}
        <ConnectionIndicator />
        {session && (
          <span className="who">
            {session.user.name}
            <button type="button" className="link" onClick={() => { saveSession(null); setSession(null); }}>{t("app.signOut")}</button>
          </span>
        )}
        <LanguageSwitcher />
      </header>
      {session && <OfferNotice path={path} />}
      <div className="page">{session ? <Screen path={path} user={session.user} /> : <SignIn onSignedIn={signIn} />}</div>
    </SocketProvider>
  );
}

// A `waitlist:offer` that arrives while the shopper is elsewhere in the app (the event page
// shows its own offers): a banner with the way back to pay before the hold lapses.

import { useEffect, useState } from "react";
import { Trans, useTranslation } from "react-i18next";
import type { WaitlistOffer } from "../api";
import { useSocket } from "../hooks/useSocket";
import { liveOffer } from "../lib/shopping";
import { Link } from "../router";

export function OfferNotice({ path }: { path: string }) {
  const { t } = useTranslation();
  const { socket } = useSocket();
  const [offer, setOffer] = useState<WaitlistOffer | null>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!socket) return;
    const on = (msg: WaitlistOffer) => setOffer(msg);
    socket.on("waitlist:offer", on);
    return () => {
      socket.off("waitlist:offer", on);
    };
  }, [socket]);
  useEffect(() => {
    if (!offer) return;
    const t = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(t);
  }, [offer]);
  if (!offer || !liveOffer(offer.reservation, now)) return null;
  if (path === `/events/${offer.eventId}` || path === `/checkout/${offer.reservation.id}`) return null;
  return (
    <div className="notice offer-notice" role="alert" data-testid="offer-notice">
      <strong>{t("offerNotice.title")}</strong>{" "}
      <Trans i18nKey="offerNotice.text" components={{ pay: <Link to={`/checkout/${offer.reservation.id}`} /> }} />{" "}
      <button type="button" className="link" onClick={() => setOffer(null)}>{t("offerNotice.dismiss")}</button>
    </div>
  );
}

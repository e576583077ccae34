import { useState, type ReactNode } from "react";
import { api, errorText, saveBlob } from "../../api";
import { i18n } from "../../i18n";

/**
 * "Download orders (CSV)": a real link to the export (so it reads and behaves as one), whose
 * click fetches it with the bearer token (a plain link would send none) and saves it.
 */
export function OrdersCsvLink({ eventId, label }: { eventId: string; label: ReactNode }) {
  const [state, setState] = useState<string | null>(null);
  return (
    <>
      <a
        href={`/api/admin/events/${eventId}/orders.csv`}
        data-testid="orders-csv"
        onClick={(e) => {
          e.preventDefault();
          setState(i18n.t("admin.csv.preparing"));
          api.ordersCsv(eventId)
            .then(({ blob, filename }) => {
              saveBlob(blob, filename);
              setState(null);
            })
            .catch((err) => setState(i18n.t("admin.csv.failed", { why: errorText(err) })));
        }}
      >
        {label}
      </a>
      <span role="status" className="muted small">{state}</span>
    </>
  );
}

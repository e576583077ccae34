import { useState, type ReactNode } from "react";
import { api, ApiError, saveBlob } from "../../api";

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
          setState("Preparing…");
          api.ordersCsv(eventId)
            .then(({ blob, filename }) => {
              saveBlob(blob, filename);
              setState(null);
            })
            .catch((err) => setState(err instanceof ApiError ? `Could not download: ${err.message}` : "Could not download the orders."));
        }}
      >
        {label}
      </a>
      <span role="status" className="muted small">{state}</span>
    </>
  );
}

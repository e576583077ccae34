// The event form's preview: the server lays the seats out (POST /api/admin/seat-maps/preview,
// the create body's `seatMap`), so the preview is exactly what the event will get. Asked
// for at most every 300 ms while the operator types; a newer request cancels the older one.

import { i18n } from "../i18n";
import { useEffect, useMemo, useState } from "react";
import { savedSession } from "../api";
import { decodeGeometry, type SeatGeometry, type WireGeometry } from "../components/seatmap/geometry";
import { SeatStatusStore } from "../components/seatmap/status";
import { fieldErrorsOf, type FieldError } from "../lib/admin";

export const PREVIEW_DEBOUNCE_MS = 300;

export interface Preview {
  geometry: SeatGeometry | null;
  store: SeatStatusStore | null;
  errors: FieldError[];
  /** Why there is no preview (a network or server problem), if there is none. */
  problem: string | null;
  loading: boolean;
}

export function useSeatMapPreview(seatMap: Record<string, unknown> | null): Preview {
  const key = seatMap ? JSON.stringify(seatMap) : "";
  const [state, setState] = useState<Omit<Preview, "store">>({ geometry: null, errors: [], problem: null, loading: false });
  useEffect(() => {
    if (!key) {
      setState({ geometry: null, errors: [], problem: null, loading: false });
      return;
    }
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    const t = setTimeout(async () => {
      try {
        const token = savedSession()?.token;
        const res = await fetch("/api/admin/seat-maps/preview", {
          method: "POST",
          headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: key,
          signal: abort.signal,
        });
        const body = await res.json().catch(() => ({}));
        if (res.ok) setState({ geometry: decodeGeometry(body as WireGeometry), errors: [], problem: null, loading: false });
        else {
          const e = ((body as { error?: Record<string, unknown> }).error ?? {}) as Record<string, unknown>;
          const errors = fieldErrorsOf(e);
          const known = typeof e.code === "string" && i18n.exists(`errors.${e.code}`) ? i18n.t(`errors.${e.code}` as "errors.network") : null;
          setState({ geometry: null, errors, problem: errors.length ? null : known ?? String(e.message ?? res.statusText), loading: false });
        }
      } catch (e) {
        if (!abort.signal.aborted) setState({ geometry: null, errors: [], problem: e instanceof Error ? e.message : String(e), loading: false });
      }
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      clearTimeout(t);
      abort.abort();
    };
  }, [key]);
  const store = useMemo(() => (state.geometry ? new SeatStatusStore(state.geometry) : null), [state.geometry]);
  return { ...state, store };
}

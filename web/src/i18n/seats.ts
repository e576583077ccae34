//! Words for seats, in one place for every seat map (the shopper's, the dashboard's, the
//! form's preview): the accessible label of a seat ("Section B, row 3, seat 12, available" /
//! "B 구역 3열 12번, 선택 가능") and the states the legend explains.

import { i18n } from "./index";

/** How a seat looks to this reader (the seat maps' states). */
export type SeatLookName = "available" | "selected" | "mine" | "held" | "sold";

/** A state in words; a read-only map speaks of seats held, not "held by someone else". */
export function lookWord(look: SeatLookName, readOnly = false): string {
  if (look === "held" && readOnly) return i18n.t("seatmap.heldReadOnly");
  return i18n.t(`seatmap.${look}`);
}

/** The same, as a legend entry (capitalized where the language has capitals). */
export function legendWord(look: SeatLookName, readOnly = false): string {
  const w = lookWord(look, readOnly);
  return w.charAt(0).toLocaleUpperCase(i18n.language) + w.slice(1);
}

/** A seat's accessible name with its state. */
export function seatLabel(seat: { section: string; row: string; number: number }, look: SeatLookName, opts: { readOnly?: boolean; found?: boolean } = {}): string {
  const values = { section: seat.section, row: seat.row, number: seat.number, state: lookWord(look, opts.readOnly) };
  return opts.found ? i18n.t("seatmap.labelFound", values) : i18n.t("seatmap.label", values);
}

// Every word the seat map shows or says goes through here, into the i18n catalogues
// (src/i18n/en.ts and ko.ts, keys `seatmap.*`; seat labels from src/i18n/seats.ts).

import { i18n } from "../../i18n";
import { legendWord, seatLabel, type SeatLookName } from "../../i18n/seats";

export type SeatLook = SeatLookName;

const n = (v: number) => v.toLocaleString(i18n.language === "ko" ? "ko-KR" : "en-US");

export const L = {
  mapName: () => i18n.t("seatmap.instructions"),
  mapNameReadOnly: () => i18n.t("seatmap.name"),
  mapHelp: () => i18n.t("seatmap.help"),
  zoomGroup: () => i18n.t("seatmap.zoomGroup"),
  zoomIn: () => i18n.t("seatmap.zoomIn"),
  zoomOut: () => i18n.t("seatmap.zoomOut"),
  reset: () => i18n.t("seatmap.reset"),
  legend: () => i18n.t("seatmap.legend"),
  stage: () => i18n.t("seatmap.stage"),
  loading: () => i18n.t("seatmap.loading"),
  seat: (seat: { section: string; row: string; number: number }, look: SeatLook, readOnly: boolean, found: boolean) =>
    seatLabel(seat, look, { readOnly, found }),
  section: (name: string, available: number, total: number) =>
    i18n.t("seatmap.section", { name, available: n(available), total: n(total) }),
  legendWord,
};

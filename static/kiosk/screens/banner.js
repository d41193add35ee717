// The off-hours banner shown on the screens of a reported visit.

import { h } from "../dom.js";
import { T } from "../i18n.js";

export function offHoursBanner(visit) {
  if (!(visit && visit.scan && visit.scan.off_hours)) return null;
  const natural = visit.provisional && visit.provisional.sign === "natural-visit";
  return h(
    "p",
    { class: "banner", id: "off-hours-visit" },
    natural
      ? T(
          "非判客岗工作时间：由置业顾问操作，记录将标注。",
          "Outside desk hours: the sales consultant operates the kiosk; the record is flagged."
        )
      : T(
          "非判客岗工作时间：由置业顾问操作，三方仍须签字，记录将标注。",
          "Outside desk hours: the sales consultant operates the kiosk; all three still sign; the record is flagged."
        )
  );
}

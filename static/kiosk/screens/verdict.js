// Step "verdict": the server's decision, the record number and the sheet
// to print. Also shown straight from "scan" for an already recorded report.

import { button, h, show } from "../dom.js";
import { T, fullWidth, local, zh } from "../i18n.js";

export function render(flow, { result: r, existing }) {
  const valid = r.verdict === "valid";
  const reasons = h("ul", { class: "reasons", id: "verdict-reasons" });
  for (const x of r.reasons || []) reasons.appendChild(h("li", { "data-code": x.code }, zh ? fullWidth(x.zh) : x.en));
  show(
    h(
      "section",
      { class: "panel verdict " + (valid ? "valid" : "invalid"), id: "verdict" },
      existing || r.already_recorded
        ? h(
            "p",
            { class: "banner" },
            T("该报备已登记过，以下为原记录，不会重复登记。", "This report was already checked in; this is the existing record.")
          )
        : null,
      r.voided
        ? h(
            "p",
            { class: "banner warn", id: "verdict-voided" },
            T("本次到访已被案场经理作废（见更正记录）。", "This visit was voided by the sales manager (see its amendments).")
          )
        : null,
      h("h1", { id: "verdict-title" }, valid ? T("有效带看", "Valid visit") : T("自然到访", "Natural visit")),
      valid
        ? h(
            "p",
            { class: "big-msg" },
            (r.return_visit ? T("复访：保护期不延长，", "Return visit: protection not extended, ") : "") +
              T("客户保护期至 ", "protected until ") +
              r.protected_until
          )
        : reasons,
      r.off_hours ? h("p", {}, T("非判客岗工作时间到访（已标注）", "Off-hours visit (flagged)")) : null,
      r.near_miss ? h("p", { class: "banner warn" }, local(r.near_miss.warning)) : null,
      // Who was judged, so the desk can read it back to the people present.
      r.customer
        ? h(
            "p",
            { class: "judged", id: "verdict-who" },
            T("客户 ", "Customer ") +
              r.customer +
              (r.agency ? T("　经纪人 ", " · agent ") + r.agent + T("（" + r.agency + "）", " (" + r.agency + ")") : "") +
              (r.arrival_at ? T("　到访 ", " · arrived ") + r.arrival_at : "")
          )
        : null,
      h("p", { class: "record-no" }, T("记录编号 ", "Record ") + r.record),
      // The receipt: its code and the QR of its public check, for the agent
      // to photograph (the agent's page also offers the full receipt).
      r.receipt
        ? h(
            "div",
            { class: "receipt", id: "verdict-receipt" },
            h("img", { src: r.receipt.qr, alt: T("回执二维码", "Receipt QR"), width: "120", height: "120" }),
            h(
              "p",
              {},
              T("回执码 ", "Receipt ") ,
              h("strong", { id: "receipt-code" }, r.receipt.code),
              h("br"),
              T("扫码可随时核验本记录仍在账本中。", "Scan to check at any time that this record is still in the ledger.")
            )
          )
        : null,
      h(
        "div",
        { class: "row" },
        h("a", { class: "button secondary", href: r.sheet, id: "print-sheet" }, T("打印确认单", "Print the sheet")),
        button(T("完成", "Done"), () => flow.go("scan"), "primary", "verdict-done")
      )
    )
  );
}

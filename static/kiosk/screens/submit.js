// Step "submit": the visit goes to the server, which alone decides the
// time and the verdict. Nothing is recorded unless this succeeds.

import { post } from "../api.js";
import { h, show } from "../dom.js";
import { T } from "../i18n.js";
import { SIGNERS } from "./sign.js";

export function body(visit) {
  const a = visit.answers;
  // Signing order, whatever order they were (re)collected in.
  const signatures = SIGNERS.map((s) => visit.signatures[s.code]).filter(Boolean);
  return {
    code: visit.code,
    customer_name: visit.name,
    customer_phone: visit.phone,
    agent_present: !!a.agent_present,
    badge_seen: !!a.badge_seen,
    first_visit: a.first_visit,
    contacted_before: a.contacted_before,
    customer_confirms_agent: !!a.customer_confirms_agent,
    sales_id: visit.sales_id || null,
    signatures,
  };
}

export function render(flow) {
  show(h("section", { class: "panel" }, h("p", { class: "big-msg" }, T("正在登记,请稍候…", "Recording…"))));
  post("/kiosk/checkins", body(flow.visit)).then(
    (r) => flow.next({ result: r, existing: false }),
    // Nothing was recorded; the visit is kept so the desk can retry.
    (e) => flow.go("error", e)
  );
}

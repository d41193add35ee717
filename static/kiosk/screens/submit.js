// Step "submit": the visit goes to the server, which alone decides the
// time and the verdict. Nothing is recorded unless this succeeds. A walk-in
// refused because its customer has a live report the desk did not choose
// (409 LIVE_REPORT_FOUND: one filed meanwhile) goes to "live-report".

import { post } from "../api.js";
import { h, show } from "../dom.js";
import { T } from "../i18n.js";
import { lookUp } from "./live-report.js";
import { SIGNERS } from "./sign.js";

export function body(visit, signers) {
  const a = visit.answers;
  // Signing order, whatever order they were (re)collected in; only the
  // signers this visit asks for (`signers`, see flow.signers()).
  const signatures = SIGNERS.filter((s) => !signers || signers.includes(s.code))
    .map((s) => visit.signatures[s.code])
    .filter(Boolean);
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
    // The customer asked for this consultant by name (指定): no turn used.
    sales_requested: !!visit.sales_requested,
    signatures,
    walk_in_id: visit.walk_in_id == null ? null : visit.walk_in_id,
    over_report: visit.over_report == null ? null : visit.over_report,
  };
}

function liveReportFound(e, flow) {
  return !!e && e.status === 409 && e.code === "LIVE_REPORT_FOUND" && flow.steps().includes("live-report");
}

export function render(flow) {
  const visit = flow.visit;
  show(h("section", { class: "panel", id: "submitting" }, h("p", { class: "big-msg" }, T("正在登记，请稍候……", "Recording…"))));
  post("/kiosk/checkins", body(visit, flow.signers())).then(
    (r) => {
      if (flow.visit !== visit) return; // cancelled meanwhile
      flow.noteOffHours(r.off_hours);
      flow.next({ result: r, existing: false });
    },
    // Nothing was recorded; the visit is kept so the desk can retry.
    (e) => {
      if (flow.visit !== visit) return;
      if (!liveReportFound(e, flow)) {
        flow.go("error", e);
        return;
      }
      // The reports as they are now; the earlier choice (if any) is void.
      delete visit.over_report;
      lookUp(visit).then(
        (live) => {
          if (flow.visit !== visit) return; // the desk moved on meanwhile
          if (live.length) flow.go("live-report", { resume: "submit" });
          else flow.go("error", e);
        },
        () => {
          if (flow.visit === visit) flow.go("error", e);
        }
      );
    }
  );
}

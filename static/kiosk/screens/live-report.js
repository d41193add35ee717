// Step "live-report" (walk-ins only): the customer who came in without a
// code has a live report of an agent in this project (the agent may be
// parking the car). The desk either waits for the agent and scans the code
// — this walk-in is abandoned, the server keeps its instant — or registers
// a natural visit over one report the customer does not acknowledge.
// Skipped (see pending() in main.js) when there is no live report, or once
// one has been chosen.

import { post } from "../api.js";
import { button, h, show } from "../dom.js";
import { T } from "../i18n.js";

/**
 * Asks the server (POST /kiosk/provisional) for the live reports of the
 * visit's customer, judged at the walk-in's instant, and keeps them in
 * `visit.live_reports`. Resolves with that list; rejects as post() does.
 */
export function lookUp(visit) {
  return post("/kiosk/provisional", {
    code: visit.code || null,
    customer_phone: visit.phone,
    customer_name: visit.name || null,
    walk_in_id: visit.walk_in_id == null ? null : visit.walk_in_id,
  }).then((r) => {
    visit.live_reports = (r && r.live_reports) || [];
    return visit.live_reports;
  });
}

/**
 * `arg.resume`: the step to go to once a report is chosen ("submit" when
 * the check-in was refused with LIVE_REPORT_FOUND); otherwise the next step.
 */
export function render(flow, arg) {
  const visit = flow.visit;
  const resume = arg && arg.resume;
  const reports = visit.live_reports || [];
  const cards = reports.map((r) =>
    h(
      "div",
      // Unstyled wrapper (kiosk.css has no card rule for it yet).
      { class: "live-report", id: "live-report-" + r.id },
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, T("渠道公司", "Agency")),
        h("dd", {}, r.agency),
        h("dt", {}, T("经纪人", "Agent")),
        h("dd", {}, r.agent),
        h("dt", {}, T("报备手机号", "Reported phone")),
        h("dd", {}, r.masked_phone),
        h("dt", {}, T("报备时间", "Filed")),
        h("dd", {}, r.filed_at)
      ),
      button(
        T("按自然到访登记（客户不认此报备）", "Register as a natural visit over this report"),
        () => {
          visit.over_report = r.id;
          if (resume) flow.go(resume);
          else flow.next();
        },
        "secondary big",
        "live-over-" + r.id
      )
    )
  );
  show(
    h(
      "section",
      { class: "panel", id: "live-reports" },
      h("h1", {}, T("该客户有经纪人的有效报备", "This customer has a live report from an agent")),
      h(
        "p",
        { class: "banner warn" },
        T(
          "经纪人可能正在停车或在路上。请先询问客户是否由该经纪人带来；如是，请等经纪人到场后扫描报备二维码。",
          "The agent may be parking or on the way. Ask the customer whether this agent brought them; if so, wait for the agent and scan the report's code."
        )
      ),
      ...cards,
      button(
        T("等经纪人到场再扫码", "Wait for the agent and scan the code"),
        // The walk-in is given up (audited); the agent's code starts the visit.
        () => flow.cancel(),
        "primary",
        "live-wait"
      )
    )
  );
}

// Step "report": what the agent filed, for the desk to compare.

import { button, h, show } from "../dom.js";
import { T } from "../i18n.js";
import { offHoursBanner } from "./banner.js";

export function render(flow) {
  const visit = flow.visit;
  const r = visit.scan.report;
  const early = r.minutes_since_filing < r.min_gap_minutes;
  show(
    h(
      "section",
      { class: "panel" },
      offHoursBanner(visit),
      h("h1", {}, T("报备信息", "The report")),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, T("渠道公司", "Agency")),
        h("dd", { id: "r-agency" }, r.agency),
        h("dt", {}, T("经纪人", "Agent")),
        h("dd", {}, r.agent),
        h("dt", {}, T("报备客户", "Reported customer")),
        h("dd", {}, r.customer_name + " " + r.masked_phone),
        h("dt", {}, T("报备时间", "Filed")),
        h(
          "dd",
          {},
          r.filed_at +
            T("（到访前 " + r.minutes_since_filing + " 分钟）", " (" + r.minutes_since_filing + " min before arrival)")
        ),
        // The arrival instant: the first read of this code, recorded by
        // the server; scanning again later never moves it.
        h("dt", {}, T("到访时间（首次扫码）", "Arrived (first scan)")),
        h("dd", { id: "r-first-read" }, r.first_read_at || "")
      ),
      early
        ? h(
            "p",
            { class: "banner warn", id: "r-early" },
            T(
              "报备至首次扫码不足 " + r.min_gap_minutes + " 分钟。",
              "Filed less than " + r.min_gap_minutes + " minutes before the first scan."
            )
          )
        : null,
      h("p", {}, T("下一步请客户本人输入完整手机号。", "Next, the customer types their full mobile number.")),
      button(T("开始登记", "Start"), () => flow.next(), "primary", "start")
    )
  );
}

// The red screen for a refused code (forged, expired, other project …).
// The server has audited it; back to scanning after 10 s.

import { button, h, onLeave, show } from "../dom.js";
import { T } from "../i18n.js";

const BACK_AFTER_MS = 10000;

export function render(flow, message) {
  show(
    h(
      "section",
      { class: "panel refused", id: "refused" },
      h("h1", {}, T("二维码无效，拒绝登记", "Code refused")),
      h("p", { class: "big-msg" }, message),
      h(
        "p",
        {},
        T(
          "该情况已记录。请让经纪人重新出示报备二维码，或联系案场经理。",
          "This was logged. Ask the agent for the report's code, or call the manager."
        )
      ),
      button(T("返回扫码", "Back to scanning"), () => flow.go("scan"), "primary", "back-to-scan")
    )
  );
  const timer = setTimeout(() => flow.go("scan"), BACK_AFTER_MS);
  onLeave(() => clearTimeout(timer));
}

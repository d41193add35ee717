// The red screen for a refused code (forged, expired, cancelled, other
// project, a mistyped manual code …), with the server's reason. Back to
// scanning after 30 s (time to read it to the agent) or at once.

import { button, h, onLeave, show } from "../dom.js";
import { T } from "../i18n.js";

const BACK_AFTER_MS = 30000;

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
          "请让经纪人在手机上重新打开报备二维码，或核对手动码后重试；仍有疑问请联系案场经理。",
          "Ask the agent to open the report's code again on their phone, or check the manual code and retry; otherwise call the manager."
        )
      ),
      button(T("返回扫码", "Back to scanning"), () => flow.go("scan"), "primary", "back-to-scan")
    )
  );
  const timer = setTimeout(() => flow.go("scan"), BACK_AFTER_MS);
  onLeave(() => clearTimeout(timer));
}

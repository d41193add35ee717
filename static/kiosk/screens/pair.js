// Pairing this tablet with the one-time code from the manager (boot.screen
// "pair"). Success sets the kiosk cookie; the page reloads to sign-in.

import { post } from "../api.js";
import { button, h, show, trouble } from "../dom.js";
import { T } from "../i18n.js";

export function render() {
  const input = h("input", { id: "pair-code", "aria-label": T("配对码", "Pairing code"), autocomplete: "off", autocapitalize: "characters", maxlength: 20 });
  const msg = h("p", { class: "msg" });
  show(
    h(
      "section",
      { class: "panel" },
      h("h1", {}, T("配对本设备", "Pair this tablet")),
      h("p", {}, T("请输入案场经理提供的配对码。", "Enter the pairing code from the sales manager.")),
      input,
      msg,
      button(
        T("配对", "Pair"),
        () => {
          post("/kiosk/pair", { code: input.value }).then(
            // The code leaves the address bar once used.
            () => location.replace("/kiosk"),
            (e) => trouble(msg, e)
          );
        },
        "primary",
        "pair-go"
      )
    )
  );
  // The pairing QR in the back office opens /kiosk?pair=CODE.
  const given = new URLSearchParams(location.search).get("pair");
  if (given) input.value = given;
  input.focus();
}

// The on-screen keypad (PIN, customer's phone): 1–9, ⌫, 0, OK.
// Ids: #key-0 … #key-9, #key-back, #keypad-ok.

import { h, button } from "./dom.js";

export function keypad(onDigit, onBack, onOk, okLabel) {
  const pad = h("div", { class: "keypad" });
  for (const k of "123456789".split("").concat(["⌫", "0", okLabel])) {
    const cls = k === okLabel ? "primary" : k === "⌫" ? "secondary" : "";
    const id = k === okLabel ? "keypad-ok" : "key-" + (k === "⌫" ? "back" : k);
    pad.appendChild(
      button(
        k,
        () => {
          if (k === "⌫") onBack();
          else if (k === okLabel) onOk();
          else onDigit(k);
        },
        cls,
        id
      )
    );
  }
  return pad;
}

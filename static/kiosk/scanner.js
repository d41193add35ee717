// The handheld scanner is a USB/Bluetooth keyboard that types fast: a
// burst of at least MIN_LENGTH characters, each within `gapMs` of the one
// before (about 50 ms; people type far slower), ended by Enter. One
// document-level listener recognises a burst wherever the focus is (a
// button, the page, the name field …) and hands it over as a code.
//
// - Keystrokes inside an element marked data-scanner-field (the scan
//   screen's own field) are left to that field: it reads its whole value
//   on Enter, which also covers a burst slowed down by a busy page.
// - A burst typed into another text field is taken back out of it (the
//   field gets its value from before the burst), so a code never ends up
//   in, say, the customer's name.
// - The Enter of a recognised burst is swallowed: it does not also press
//   the focused button.

const MIN_LENGTH = 8;
export const SCAN_GAP_MS = 50;

/**
 * Whether a keydown ends a scan: Enter as browsers name it, and as some
 * scanners send it — a bare line feed for `key`, or only keyCode 13 (an
 * older WebView that leaves `key` out or says "Unidentified").
 */
export function isEnter(e) {
  return !!e && (e.key === "Enter" || e.key === "\n" || e.keyCode === 13);
}

function isTextField(el) {
  if (!el) return false;
  if (el.tagName === "TEXTAREA") return true;
  return el.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset|file|range|color)$/i.test(el.type || "");
}

/**
 * Calls `onCode(text)` for each burst. `gapMs`: the longest pause between
 * two keys of one burst.
 */
export function listenForScanner(onCode, gapMs) {
  const gap = gapMs > 0 ? gapMs : SCAN_GAP_MS;
  let buffer = "";
  let last = -Infinity;
  let origin = null; // { el, value } of a text field the burst started in

  const reset = () => {
    buffer = "";
    origin = null;
    last = -Infinity;
  };

  document.addEventListener(
    "keydown",
    (e) => {
      const target = e.target;
      if (target && target.closest && target.closest("[data-scanner-field]")) {
        reset();
        return;
      }
      if (e.isComposing || e.ctrlKey || e.metaKey || e.altKey) {
        reset();
        return;
      }
      // The time the key was pressed, not when the page got round to it.
      const now = e.timeStamp || performance.now();
      if (isEnter(e)) {
        const burst = buffer.length >= MIN_LENGTH && now - last <= gap;
        const code = buffer;
        const from = origin;
        reset();
        if (!burst) return;
        e.preventDefault();
        e.stopImmediatePropagation();
        if (from && from.el.isConnected && from.el.value !== from.value) {
          from.el.value = from.value;
          from.el.dispatchEvent(new Event("input", { bubbles: true }));
        }
        onCode(code);
        return;
      }
      if (!e.key || e.key.length !== 1) return; // Shift, Tab, arrows …: neither part nor end
      if (now - last > gap) {
        buffer = "";
        const el = document.activeElement;
        origin = isTextField(el) ? { el, value: el.value } : null;
      }
      buffer += e.key;
      last = now;
    },
    true
  );
}

// The page's language comes from <html lang> (set by the server from the
// visitor's choice). Every kiosk text is written in both languages and
// shown in ONE: Chinese copy uses full-width punctuation (，：；（）。「」),
// never a "中文 / English" pair.

export const lang = document.documentElement.lang;
export const zh = lang !== "en";

export function T(cn, en) {
  return zh ? cn : en;
}

const CJK = "\\u3000-\\u303f\\u3400-\\u9fff\\uff00-\\uffef";
const AFTER_CJK = new RegExp("([" + CJK + "])\\s*([,:;!?])", "g");
// No look-behind: older iPad Safari cannot parse it.
const OPEN_BEFORE = new RegExp("\\(\\s*([" + CJK + "])", "g");
const OPEN_AFTER = new RegExp("([" + CJK + "])\\s*\\(", "g");
const CLOSE_AFTER = new RegExp("([" + CJK + "])\\)", "g");
const FULL = { ",": "，", ":": "：", ";": "；", "!": "！", "?": "？" };

/**
 * Chinese text from the server written with ASCII punctuation
 * ("报备过晚:…(如 30 分钟)") in full-width punctuation; English unchanged.
 */
export function fullWidth(text) {
  if (!zh || !text) return text || "";
  return String(text)
    .replace(OPEN_BEFORE, "（$1")
    .replace(OPEN_AFTER, "$1（")
    .replace(CLOSE_AFTER, "$1）")
    .replace(/（([^()（）]*)\)/g, "（$1）")
    .replace(AFTER_CJK, (_, c, p) => c + FULL[p]);
}

/**
 * A server message written "中文 / English" (the API's error messages, the
 * near-miss warning): the half of the page's language only. The Chinese
 * half gets full-width punctuation. A message without " / " is kept whole.
 */
export function local(message) {
  const text = String(message || "");
  const at = text.indexOf(" / ");
  if (at < 0) return fullWidth(text);
  return zh ? fullWidth(text.slice(0, at).trim()) : text.slice(at + 3).trim();
}

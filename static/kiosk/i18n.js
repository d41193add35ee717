// The page's language comes from <html lang> (set by the server from the
// visitor's choice); every text on the kiosk is written in both languages.

export const lang = document.documentElement.lang;
export const zh = lang !== "en";

export function T(cn, en) {
  return zh ? cn : en;
}

// The signature pad. The pad keeps the PNG's aspect (5:2, kiosk.css) at any
// size, and its strokes are kept in the PNG's own 600×240 space
// ([x, y, pressure, t_ms]), so a rotation or resize only rescales them:
// the screen redraws them at the pad's new size, and the PNG for the record
// is always rendered from the strokes at 600×240 — never clipped, never
// stretched, alike for every signature. The strokes are sent with the PNG.
//
// "Enough ink" is THE SERVER'S RULE (src/domain/signature.rs,
// validate_png + ink_extent), applied to the very pixels that are exported,
// so a signature accepted here is not refused there as blank:
//   - sample every 2nd pixel of every 2nd row; a sample is ink when
//     alpha > 64 and r + g + b < 480; each ink sample counts for 4 pixels;
//   - spread x = last - first ink column, spread y = last - first ink row
//     (of the samples);
//   - refused when ink * 1000 < width * height (less than 0.1 % of the
//     area), or spread x < floor(width / 8), or spread y < floor(height / 20).
// The PNG must also be within 512 KB and 100–4096 px a side (ours is 600×240).
// Keep this in step with the Rust file if it ever changes.

import { h } from "./dom.js";

export const PNG_WIDTH = 600;
export const PNG_HEIGHT = 240;
const MAX_PNG_BYTES = 512 * 1024;
const MIN_SIDE = 100;
const MAX_SIDE = 4096;
const INK = "#111";

/** ink_extent() of signature.rs over RGBA bytes `data` of a width×height image. */
export function inkExtent(data, width, height) {
  let ink = 0;
  let minX = Infinity;
  let maxX = 0;
  let minY = Infinity;
  let maxY = 0;
  for (let y = 0; y < height; y += 2) {
    const row = y * width * 4;
    let first = -1;
    let last = 0;
    for (let x = 0; x < width; x += 2) {
      const p = row + x * 4;
      if (data[p + 3] > 64 && data[p] + data[p + 1] + data[p + 2] < 480) {
        ink += 4;
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first >= 0) {
      minX = Math.min(minX, first);
      maxX = Math.max(maxX, last);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
  }
  // Rust: max.saturating_sub(min) with min starting at usize::MAX.
  const spreadX = minX === Infinity ? 0 : Math.max(0, maxX - minX);
  const spreadY = minY === Infinity ? 0 : Math.max(0, maxY - minY);
  return { ink, spreadX, spreadY };
}

/** validate_png()'s Blank test: true when the image has enough ink. */
export function enoughInk(data, width, height) {
  const { ink, spreadX, spreadY } = inkExtent(data, width, height);
  return !(ink * 1000 < width * height || spreadX < Math.floor(width / 8) || spreadY < Math.floor(height / 20));
}

function pngBytes(dataUrl) {
  const b64 = dataUrl.slice(dataUrl.indexOf(",") + 1);
  const pad = b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - pad;
}

function drawStroke(c, s) {
  for (let k = 1; k < s.length; k++) {
    c.lineWidth = 1.5 + 2.5 * (s[k][2] || 0.5);
    c.beginPath();
    c.moveTo(s[k - 1][0], s[k - 1][1]);
    c.lineTo(s[k][0], s[k][1]);
    c.stroke();
  }
  if (s.length === 1) {
    c.beginPath();
    c.arc(s[0][0], s[0][1], 1.5, 0, 6.3);
    c.fill();
  }
}

function pen(c) {
  c.lineCap = "round";
  c.lineJoin = "round";
  c.strokeStyle = INK;
  c.fillStyle = INK;
}

/** Where the signer writes: a light baseline and, on an empty pad, a hint (screen only, never in the PNG). */
function guide(c, hint, empty) {
  c.save();
  c.strokeStyle = "#c5ccd8";
  c.lineWidth = 1.5;
  c.setLineDash([8, 6]);
  c.beginPath();
  c.moveTo(40, 190);
  c.lineTo(560, 190);
  c.stroke();
  if (empty && hint) {
    c.fillStyle = "#aab2c0";
    c.font = "28px sans-serif";
    c.textAlign = "center";
    c.fillText(hint, 300, 130);
  }
  c.restore();
}

export class SignaturePad {
  /** `hint`: the words on the empty pad (e.g. 请客户在此签名). */
  constructor(hint) {
    this._hint = hint || "";
    this.el = h("canvas", { class: "pad", id: "pad" });
    this._strokes = [];
    this._current = null;
    this._t0 = Date.now();
    this._viaTouch = false;
    this._listeners = [];
    this.fit = this.fit.bind(this);
    const on = (target, ev, fn, opts) => {
      target.addEventListener(ev, fn, opts);
      this._listeners.push([target, ev, fn, opts]);
    };
    const canvas = this.el;
    on(canvas, "pointerdown", (e) => {
      if (this._viaTouch) return;
      try {
        canvas.setPointerCapture(e.pointerId);
      } catch (_) {
        /* an already released pointer: draw anyway */
      }
      this._begin(this._point(e.clientX, e.clientY, e.pressure));
      e.preventDefault();
    });
    on(canvas, "pointermove", (e) => {
      if (this._viaTouch || !this._current) return;
      this._extend(this._point(e.clientX, e.clientY, e.pressure));
      e.preventDefault();
    });
    for (const ev of ["pointerup", "pointercancel", "pointerleave"]) {
      on(canvas, ev, () => {
        if (!this._viaTouch) this._end();
      });
    }
    // iPad Safari's Scribble can swallow pointer events from a pencil:
    // take touch events over when they arrive, and keep the page still.
    on(
      canvas,
      "touchstart",
      (e) => {
        this._viaTouch = true;
        const t = e.touches[0];
        this._begin(this._point(t.clientX, t.clientY, t.force));
        e.preventDefault();
      },
      { passive: false }
    );
    on(
      canvas,
      "touchmove",
      (e) => {
        const t = e.touches[0];
        this._extend(this._point(t.clientX, t.clientY, t.force));
        e.preventDefault();
      },
      { passive: false }
    );
    on(
      canvas,
      "touchend",
      (e) => {
        this._end();
        e.preventDefault();
      },
      { passive: false }
    );
    on(window, "resize", this.fit);
    on(window, "orientationchange", this.fit);
    // The pad's box can change without a window resize (a banner above it
    // appears): watch the box itself where the browser can.
    if (typeof ResizeObserver === "function") {
      this._observer = new ResizeObserver(() => this.fit());
      this._observer.observe(canvas);
    }
  }

  /** Removes every listener, the window's `resize` one included. */
  destroy() {
    for (const [target, ev, fn, opts] of this._listeners) target.removeEventListener(ev, fn, opts);
    this._listeners = [];
    if (this._observer) this._observer.disconnect();
    this._observer = null;
    this._current = null;
  }

  /**
   * Sizes the canvas to its box (call once it is in the page) and redraws
   * the strokes scaled to it: one stroke unit is width / 600 CSS pixels.
   */
  fit() {
    const canvas = this.el;
    const r = this._box();
    if (!r.width || !r.height) return;
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(r.width * dpr));
    const height = Math.max(1, Math.round(r.height * dpr));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const k = r.width / PNG_WIDTH;
    canvas.getContext("2d").setTransform(dpr * k, 0, 0, dpr * k, 0, 0);
    this._redraw();
  }

  clear() {
    this._strokes = [];
    this._current = null;
    this._redraw();
  }

  strokes() {
    return this._strokes;
  }

  /**
   * The signature as the server will see it: { png (a data: URL), ok }.
   * `ok` is false when the server would refuse the PNG (blank, too small).
   */
  signature() {
    if (!this._strokes.length) return { png: null, ok: false };
    const out = document.createElement("canvas");
    out.width = PNG_WIDTH;
    out.height = PNG_HEIGHT;
    const c = out.getContext("2d");
    pen(c);
    this._strokes.forEach((s) => drawStroke(c, s));
    const png = out.toDataURL("image/png");
    const img = c.getImageData(0, 0, out.width, out.height);
    const sized = [out.width, out.height].every((n) => n >= MIN_SIDE && n <= MAX_SIDE);
    const ok = sized && pngBytes(png) <= MAX_PNG_BYTES && enoughInk(img.data, out.width, out.height);
    return { png, ok };
  }

  /** True when signature().ok: enough ink by the server's rule. */
  enough() {
    return this.signature().ok;
  }

  png() {
    return this.signature().png;
  }

  _ctx() {
    return this.el.getContext("2d");
  }

  _redraw() {
    const c = this._ctx();
    c.save();
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.clearRect(0, 0, this.el.width, this.el.height);
    c.restore();
    guide(c, this._hint, !this._strokes.length);
    pen(c);
    this._strokes.forEach((s) => drawStroke(c, s));
  }

  /** The drawing surface in CSS pixels: the content box, inside the border. */
  _box() {
    const canvas = this.el;
    const r = canvas.getBoundingClientRect();
    return { left: r.left + canvas.clientLeft, top: r.top + canvas.clientTop, width: canvas.clientWidth, height: canvas.clientHeight };
  }

  /** A pointer position as a point in the PNG's 600×240 space. */
  _point(x, y, p) {
    const r = this._box();
    const k = r.width ? PNG_WIDTH / r.width : 1;
    const clamp = (v, max) => Math.min(max, Math.max(0, Math.round(v * 10) / 10));
    return [clamp((x - r.left) * k, PNG_WIDTH), clamp((y - r.top) * k, PNG_HEIGHT), p || 0.5, Date.now() - this._t0];
  }

  _begin(p) {
    const first = !this._strokes.length;
    this._current = [p];
    this._strokes.push(this._current);
    if (first) this._redraw(); // the hint goes as the pen comes down
  }

  _extend(p) {
    if (!this._current) return;
    this._current.push(p);
    const c = this._ctx();
    pen(c);
    drawStroke(c, this._current.slice(-2));
  }

  _end() {
    this._current = null;
  }
}

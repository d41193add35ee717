// The tablet's camera reading report QR codes, with three decoders tried in
// turn: the browser's BarcodeDetector, jsQR (window.jsQR, loaded by the
// classic script static/vendor/jsQR.js before the modules run), and last
// the server (POST /kiosk/decode with a PNG frame, at most every 1.5 s).

import { post } from "./api.js";
import { onLeave } from "./dom.js";
import { T } from "./i18n.js";

const FRAME_MS = 200;
const SERVER_EVERY_MS = 1500;

let current = null; // the running camera session, if any

/** Stops the camera (idempotent). show() does it through onLeave. */
export function stopCamera() {
  if (!current) return;
  const session = current;
  current = null;
  session.stopped = true;
  clearTimeout(session.timer);
  if (session.stream) session.stream.getTracks().forEach((t) => t.stop());
}

/**
 * Plays the camera into `video` and calls `onCode(text)` for each code
 * seen; `status` (a <p>) tells the desk what is happening. Call it after
 * show(): the camera stops when the screen is replaced.
 */
export function startCamera(video, onCode, status) {
  stopCamera();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    status.textContent = T("此设备没有可用的摄像头，请使用扫码枪或手动码。", "No camera: use the scanner or the manual code.");
    return;
  }
  const session = { stream: null, timer: null, stopped: false };
  current = session;
  onLeave(() => {
    if (current === session) stopCamera();
    else session.stopped = true;
  });
  navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(
    (stream) => {
      session.stream = stream;
      // The screen was left while the permission prompt was up.
      if (session.stopped) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      video.srcObject = stream;
      const playing = video.play();
      if (playing && playing.catch) playing.catch(() => {});
      let detector = "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
      const canvas = document.createElement("canvas");
      let busy = false;
      let lastServerTry = 0;
      const frame = () => {
        if (session.stopped) return;
        session.timer = setTimeout(frame, FRAME_MS);
        if (busy || video.readyState < 2) return;
        const w = video.videoWidth;
        const hgt = video.videoHeight;
        if (!w || !hgt) return;
        if (detector) {
          busy = true;
          detector.detect(video).then(
            (codes) => {
              busy = false;
              if (codes.length && !session.stopped) onCode(codes[0].rawValue);
            },
            () => {
              busy = false;
              detector = null; // fall back to jsQR from the next frame
            }
          );
          return;
        }
        const scale = Math.min(1, 640 / Math.max(w, hgt));
        canvas.width = Math.round(w * scale);
        canvas.height = Math.round(hgt * scale);
        const c2 = canvas.getContext("2d");
        c2.drawImage(video, 0, 0, canvas.width, canvas.height);
        if (window.jsQR) {
          const img = c2.getImageData(0, 0, canvas.width, canvas.height);
          const found = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
          if (found && found.data) onCode(found.data);
        } else if (Date.now() - lastServerTry > SERVER_EVERY_MS) {
          // Neither the browser nor the bundled decoder: let panke decode.
          lastServerTry = Date.now();
          busy = true;
          canvas.toBlob((blob) => {
            if (!blob || session.stopped) {
              busy = false;
              return;
            }
            post("/kiosk/decode", blob, true).then(
              (r) => {
                busy = false;
                if (!session.stopped) onCode(r.text);
              },
              () => {
                busy = false;
              }
            );
          }, "image/png");
        }
      };
      frame();
      status.textContent = T("请将报备二维码对准摄像头", "Hold the report QR code up to the camera");
    },
    () => {
      if (session.stopped) return;
      status.textContent = T("无法打开摄像头，请使用扫码枪或手动码。", "The camera is unavailable: use the scanner or the manual code.");
    }
  );
}

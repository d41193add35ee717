// The back office's few behaviours, without inline scripts (the CSP
// forbids them): confirm destructive forms, keep a form from being sent
// twice, and show an export's progress while it downloads.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
    return;
  }
  if (form.method.toLowerCase() === "post") {
    if (form.dataset.sent === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit], button:not([type])"), function (b) {
      b.setAttribute("aria-busy", "true");
    });
  }
});

// Exports stream: read them with fetch to show how many bytes arrived,
// then hand the file to the browser. Without fetch the link still works.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-export]");
  if (!link || !window.fetch || !window.ReadableStream || !window.URL.createObjectURL) return;
  event.preventDefault();
  var status = document.getElementById(link.getAttribute("data-export"));
  var say = function (text) { if (status) { status.hidden = false; status.textContent = text; } };
  say(link.getAttribute("data-preparing") || "…");
  fetch(link.href, { credentials: "same-origin" }).then(function (response) {
    if (!response.ok) throw new Error(String(response.status));
    var reader = response.body.getReader();
    var chunks = [];
    var received = 0;
    var name = (response.headers.get("content-disposition") || "").match(/filename="?([^";]+)"?/);
    function pump() {
      return reader.read().then(function (step) {
        if (step.done) return;
        chunks.push(step.value);
        received += step.value.length;
        say((link.getAttribute("data-progress") || "") + " " + Math.round(received / 1024) + " KB");
        return pump();
      });
    }
    return pump().then(function () {
      var blob = new Blob(chunks, { type: response.headers.get("content-type") || "application/octet-stream" });
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name ? name[1] : "export";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      say(link.getAttribute("data-done") || "✓");
    });
  }).catch(function (e) {
    say((link.getAttribute("data-failed") || "failed") + " (" + e.message + ")");
  });
});

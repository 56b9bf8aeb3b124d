// The scanner page's camera: read ticket QR codes with the vendored jsQR and post each to
// the check-in API with the browser's session; typed codes go the same way. Without this
// file (or without a camera) the manual form posts to the page itself.
(function () {
  "use strict";

  var root = document.querySelector("[data-scanner]");
  var form = document.querySelector("[data-manual]");
  var panel = document.querySelector("[data-result]");
  if (!root || !form || !panel || !window.fetch) return;

  var api = root.dataset.api;
  var csrf = root.dataset.csrf;
  var busy = false;
  var lastCode = "";
  var lastAt = 0;
  var SAME_CODE_PAUSE_MS = 3000; // the same QR held in front of the camera is sent once

  function scanId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 15) | 64;
    bytes[8] = (bytes[8] & 63) | 128;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20),
      hex.slice(20)].join("-");
  }

  function direction() {
    var checked = form.querySelector("input[name=direction]:checked");
    return checked ? checked.value : "entry";
  }

  function show(ok, message, detail) {
    panel.hidden = false;
    panel.className = "scan-result " + (ok ? "scan-ok" : "scan-bad");
    panel.querySelector("[data-mark]").textContent = ok ? "✓" : "✗";
    panel.querySelector("[data-message]").textContent = message;
    panel.querySelector("[data-detail]").textContent = detail || "";
    if (navigator.vibrate) navigator.vibrate(ok ? 80 : [200, 100, 200]);
  }

  // "11-21 14:00" in the venue's time zone, as the page itself shows times.
  function when(iso) {
    var parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", {
        timeZone: root.dataset.tz, month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hour12: false,
      }).formatToParts(new Date(iso)).forEach(function (part) { parts[part.type] = part.value; });
    } catch (error) {
      return "";
    }
    return parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  // The page's counts, refreshed after each scan.
  var figures = document.querySelector("[data-figures]");
  function refreshFigures() {
    if (!figures || !figures.dataset.status) return;
    fetch(figures.dataset.status, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) return;
        figures.textContent = figures.dataset.template
          .replace("{entered}", status.checked_in)
          .replace("{tickets}", status.tickets)
          .replace("{inside}", status.inside);
      })
      .catch(function () { /* the counts wait for the next scan */ });
  }

  function send(payload) {
    busy = true;
    return fetch(api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ scan_id: scanId(), payload: payload, direction: direction() }),
    })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (body.error) {
          show(false, body.error.message);
        } else {
          var detail = body.event_title ? body.event_title + " · " + when(body.session_starts_at) : "";
          show(body.ok, body.message, detail);
          refreshFigures();
        }
        return true;
      })
      .catch(function () {
        show(false, root.dataset.offline);
        return false;
      })
      .then(function (sent) {
        busy = false;
        return sent;
      });
  }

  // Typed codes: posted to the API too, so the camera keeps running.
  form.addEventListener("submit", function (event) {
    var field = form.elements.payload;
    var code = field.value.trim();
    if (!code) return; // the page answers an empty form itself
    event.preventDefault();
    send(code).then(function (sent) {
      if (sent) field.value = "";
      field.focus();
    });
  });

  // The camera, where there is one.
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof jsQR !== "function") {
    return;
  }
  root.hidden = false;
  var video = root.querySelector("[data-video]");
  var start = root.querySelector("[data-start]");
  var stop = root.querySelector("[data-stop]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;

  function tick() {
    if (!stream) return;
    if (video.readyState === video.HAVE_ENOUGH_DATA && !busy && !document.hidden) {
      // Decoding a smaller frame is much faster and reads ticket-sized codes as well.
      var scale = Math.min(1, 640 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      var now = Date.now();
      if (found && found.data && (found.data !== lastCode || now - lastAt > SAME_CODE_PAUSE_MS)) {
        lastCode = found.data;
        lastAt = now;
        send(found.data.trim());
      }
    }
    window.requestAnimationFrame(tick);
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  start.addEventListener("click", function () {
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        start.hidden = true;
        stop.hidden = false;
        return video.play();
      })
      .then(function () { window.requestAnimationFrame(tick); })
      .catch(function () {
        stopCamera();
        show(false, root.dataset.cameraError);
      });
  });
  stop.addEventListener("click", stopCamera);
  window.addEventListener("pagehide", stopCamera);
})();

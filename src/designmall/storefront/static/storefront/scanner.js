// The scanner page's camera: read ticket QR codes with the vendored jsQR and post each to
// the check-in API with the browser's session; typed codes go the same way. Without this
// file (or without a camera) the manual form posts to the page itself.
//
// Offline (scanner-offline.js): when the network is down, or the staff member switches to
// offline mode, each scan is decided here from the list's bundle and queued; the queue
// goes up as soon as the network is back. The service worker keeps the page for opening
// offline.
(function () {
  "use strict";

  var root = document.querySelector("[data-scanner]");
  var form = document.querySelector("[data-manual]");
  var panel = document.querySelector("[data-result]");
  if (!root || !form || !panel || !window.fetch) return;

  var api = root.dataset.api;
  var busy = false;
  var lastCode = "";
  var lastAt = 0;
  var SAME_CODE_PAUSE_MS = 3000; // the same QR held in front of the camera is sent once
  var ONLINE_WAIT_MS = 5000; // a scan not answered by then is decided here
  var SYNC_EVERY_MS = 20000; // queued scans and revocations, while the page is open
  var FORCED_KEY = "designmall-scanner-offline";
  var messagesNode = document.getElementById("scanner-messages");
  var messages = messagesNode ? JSON.parse(messagesNode.textContent) : {};

  // The session's CSRF token: the cookie's, when the page itself is an old copy.
  function csrf() {
    var name = root.dataset.csrfCookie;
    var found = name && document.cookie.split("; ").filter(function (pair) {
      return pair.indexOf(name + "=") === 0;
    })[0];
    return found ? decodeURIComponent(found.slice(name.length + 1)) : root.dataset.csrf;
  }

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
    fetch(figures.dataset.status, {
      credentials: "same-origin",
      headers: { "Accept-Language": document.documentElement.lang },
    })
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

  // --- offline --------------------------------------------------------------------------

  var offlinePanel = document.querySelector("[data-offline-panel]");
  var door = null;
  var forced = false;
  try { forced = localStorage.getItem(FORCED_KEY) === "1"; } catch (error) { /* online */ }
  // After a scan the network failed to carry, the next ones are decided here at once
  // rather than each waiting for the network first; the regular sync tries it again.
  var unreachableUntil = 0;
  var UNREACHABLE_MS = 30000;

  function offline() {
    return forced || navigator.onLine === false || Date.now() < unreachableUntil;
  }

  function fill(template, values) {
    return window.ScannerDoor ? window.ScannerDoor.fill(template, values) : template;
  }

  function render() {
    if (!offlinePanel || !door) return;
    var q = function (selector) { return offlinePanel.querySelector(selector); };
    var net = q("[data-net]");
    net.textContent = forced ? messages.forced_offline : offline() ? messages.offline : messages.online;
    net.className = "scanner-net " + (offline() ? "scanner-net-off" : "scanner-net-on");
    q("[data-offline-toggle]").checked = forced;
    q("[data-bundle-age]").textContent = door.bundleText();
    var clockOff = door.clockOffMinutes();
    q("[data-clock]").hidden = !clockOff;
    q("[data-clock]").textContent = clockOff ? fill(messages.clock_off, { n: clockOff }) : "";
    q("[data-pending]").textContent = fill(messages.pending, { n: door.pending() });
    q("[data-upload]").disabled = !door.pending() || !!door.uploading;
    var sync = door.lastSync;
    var line = "";
    if (sync && sync.kind === "uploading") line = messages.uploading;
    else if (sync && sync.kind === "uploaded") line = fill(messages.uploaded, { n: sync.n });
    else if (sync && sync.kind === "waiting" && door.pending()) line = messages.upload_waiting;
    else if (sync && sync.kind === "failed") line = fill(messages.upload_failed, { reason: sync.reason });
    q("[data-sync]").textContent = line;
    q("[data-sync]").hidden = !line;
    var differences = door.differences();
    var box = q("[data-differences]");
    box.hidden = !differences.length;
    var items = box.querySelector("ul");
    items.textContent = "";
    differences.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = door.when(item.at) + " · " + item.ticket + " · " + item.device + " → " + item.server;
      items.appendChild(li);
    });
  }

  function sync() {
    render();
    if (!door || navigator.onLine === false) return Promise.resolve();
    return door.upload()
      .then(function (sent) {
        if (sent) refreshFigures();
        return door.refresh();
      })
      .then(function () { unreachableUntil = 0; })
      .catch(function () { /* the next round tries again */ })
      .then(render);
  }

  if (offlinePanel && window.ScannerDoor) {
    door = new window.ScannerDoor({
      list: root.dataset.list,
      staff: root.dataset.staff,
      bundleUrl: root.dataset.bundle,
      uploadUrl: root.dataset.upload,
      csrf: csrf,
      timeZone: root.dataset.tz,
      messages: messages,
      english: document.documentElement.lang === "en",
      onchange: render,
    });
    offlinePanel.hidden = false;
    door.load().then(sync, function () { render(); });
    window.ScannerDoor.ed25519Works().then(function (works) {
      offlinePanel.querySelector("[data-no-ed25519]").hidden = works;
    });
    offlinePanel.querySelector("[data-offline-toggle]").addEventListener("change", function (event) {
      forced = event.target.checked;
      try { localStorage.setItem(FORCED_KEY, forced ? "1" : "0"); } catch (error) { /* this page only */ }
      render();
    });
    offlinePanel.querySelector("[data-upload]").addEventListener("click", function () {
      door.upload().then(function (sent) {
        if (sent) refreshFigures();
        render();
      });
    });
    offlinePanel.querySelector("[data-clear-differences]").addEventListener("click", function () {
      door.clearDifferences();
    });
    window.addEventListener("online", sync);
    window.addEventListener("offline", render);
    window.setInterval(sync, SYNC_EVERY_MS);
  }

  // The service worker keeps this page, the list of lists and the scripts for offline.
  if (offlinePanel && "serviceWorker" in navigator && root.dataset.sw) {
    navigator.serviceWorker.register(root.dataset.sw)
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) {
          if (event.data && event.data.kept) offlinePanel.querySelector("[data-page-saved]").hidden = false;
        };
        registration.active.postMessage(
          { type: "keep", urls: [window.location.pathname, root.dataset.lists] }, [channel.port2]);
      })
      .catch(function () { /* the page works online without it */ });
  }

  // --- sending a scan ---------------------------------------------------------------------

  // Online: the server's answer, or null when the network (or the server) failed.
  function online(id, payload, dir) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, ONLINE_WAIT_MS) : null;
    return fetch(api, {
      method: "POST",
      credentials: "same-origin",
      // Answers in the page's language, not the browser's (the API follows Accept-Language).
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrf(),
        "Accept-Language": document.documentElement.lang,
      },
      body: JSON.stringify({ scan_id: id, payload: payload, direction: dir }),
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        if (response.status >= 500) return null; // the server is down: decide here
        return response.json().then(function (body) {
          if (response.ok) return body;
          var error = body.error || { message: body.detail || "HTTP " + response.status };
          return { error: error };
        });
      })
      .then(function (body) {
        if (!body) return null;
        unreachableUntil = 0;
        if (body.error) return { ok: false, message: body.error.message, done: true };
        if (door) door.rememberOnline(body, id).catch(function () {});
        refreshFigures();
        var detail = body.event_title ? body.event_title + " · " + when(body.session_starts_at) : "";
        return { ok: body.ok, message: body.message, detail: detail, done: true };
      })
      .catch(function () { return null; })
      .then(function (answer) {
        if (timer) window.clearTimeout(timer);
        if (!answer) unreachableUntil = Date.now() + UNREACHABLE_MS;
        return answer;
      });
  }

  function send(payload) {
    busy = true;
    var id = scanId();
    var dir = direction();
    var tried = !offline();
    return (tried ? online(id, payload, dir) : Promise.resolve(null))
      .then(function (answer) {
        if (answer) return answer;
        if (!door) return { ok: false, message: messages.no_network, done: false };
        return door.decide(payload, dir, id, tried).then(function (decided) {
          decided.done = decided.queued;
          return decided;
        });
      })
      .catch(function () {
        return { ok: false, message: messages.no_network, done: false };
      })
      .then(function (answer) {
        show(answer.ok, answer.message, answer.detail);
        render();
        busy = false;
        return answer.done;
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

// The booth tablet's rotating code: the page asks the server for the code of the new
// 30-second step as the old one runs out (the server draws the QR code), and counts down.
(function () {
  "use strict";
  var box = document.querySelector("[data-tablet]");
  if (!box || !window.fetch) return;
  var qr = box.querySelector("[data-qr]");
  var token = box.querySelector("[data-token]");
  var countdown = box.querySelector("[data-countdown]");
  var offline = box.querySelector("[data-offline]");
  var link = box.querySelector("[data-stamp-url]");
  var left = parseInt(box.dataset.secondsLeft, 10) || 30;
  function show(data) {
    qr.innerHTML = data.svg;  // an SVG our own server drew
    token.textContent = data.token;
    link.href = data.url;
    left = data.seconds_left;
    countdown.textContent = left;
    offline.hidden = true;
  }
  function refresh() {
    fetch(box.dataset.codeUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(); })
      .then(show)
      .catch(function () { offline.hidden = false; left = 3; });
  }
  setInterval(function () {
    left -= 1;
    if (left <= 0) { refresh(); left = 30; }
    countdown.textContent = Math.max(left, 0);
  }, 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();

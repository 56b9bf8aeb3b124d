// Seats left, kept live: the page was right when drawn; this asks again every few seconds
// (only while the page is visible) and shows what a visitor can do now.
(function () {
  "use strict";
  var box = document.querySelector("[data-seats]");
  if (!box || !window.fetch) return;
  var left = box.querySelector("[data-seats-left]");
  var waiting = box.querySelector("[data-waiting]");
  var waitingBox = box.querySelector("[data-waiting-box]");
  var every = (parseInt(box.dataset.pollSeconds, 10) || 5) * 1000;
  function show(seats) {
    left.textContent = seats.left;
    if (waiting) { waiting.textContent = seats.waiting; waitingBox.hidden = !seats.waiting; }
    box.dataset.booking = seats.booking;
    box.querySelectorAll("[data-when]").forEach(function (panel) {
      panel.hidden = panel.dataset.when !== seats.booking;
    });
  }
  function poll() {
    if (document.hidden) return;
    fetch(box.dataset.seatsUrl, { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && data.seats) show(data.seats); })
      .catch(function () {});
  }
  setInterval(poll, every);
  document.addEventListener("visibilitychange", poll);
})();

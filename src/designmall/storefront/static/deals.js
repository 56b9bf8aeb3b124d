// A won unit's ticket page (排队中): ask the API about the ticket every second and, once
// its order is written (or refused), load the page again: the server then sends the
// buyer on to the cashier (or back to the deal).
(function () {
  "use strict";
  var box = document.querySelector("[data-deal-ticket]");
  if (!box) return;
  function poll() {
    fetch(box.dataset.ticketUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (ticket) {
        if (ticket && ticket.status !== "queued") { window.location.reload(); return; }
        setTimeout(poll, (ticket && ticket.poll_after_ms) || 1000);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 500);
})();

// The deal page: count down to the start, then poll the deal's state every few seconds
// (phase and units left) until it is sold out or over.
(function () {
  "use strict";
  var box = document.querySelector("[data-deal]");
  if (!box) return;
  var phaseEl = box.querySelector("[data-deal-phase]");
  var countdown = box.querySelector("[data-deal-countdown]");
  var leftEl = box.querySelector("[data-deal-left]");
  var bar = box.querySelector("[data-deal-bar]");
  var button = document.querySelector("[data-deal-buy]");
  var texts = {
    upcoming: box.dataset.textUpcoming, live: box.dataset.textLive,
    sold_out: box.dataset.textSoldOut, ended: box.dataset.textEnded,
    cancelled: box.dataset.textCancelled
  };
  var startAt = Date.now() + 1000 * Number(box.dataset.secondsToStart || 0);
  var phase = box.dataset.phase;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function show(state) {
    phase = state.phase;
    phaseEl.textContent = texts[phase] || phase;
    leftEl.textContent = state.units_left;
    bar.style.width = Math.round(100 * state.units_left / Math.max(1, state.quantity)) + "%";
    if (button) button.disabled = phase !== "live";
    if (phase !== "upcoming") countdown.textContent = "";
  }
  function tick() {
    if (phase !== "upcoming") return;
    var s = Math.max(0, Math.round((startAt - Date.now()) / 1000));
    countdown.textContent = pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    if (s === 0) poll();
  }
  function poll() {
    fetch(box.dataset.stateUrl, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) show(state); })
      .catch(function () {});
  }
  setInterval(tick, 1000);
  tick();
  setInterval(function () { if (phase === "live" || phase === "upcoming") poll(); }, 3000);
})();

// Auction lot page: keeps price, bids, leader, countdown and "you were outbid" live.
// Server-sent events first (the lot's /events stream); if they fail, polls the API's /live
// endpoint. Without this file the page is right when drawn and reloading shows the rest.
(function () {
  "use strict";

  var root = document.querySelector("[data-live]");
  if (!root) return;
  var texts = (document.getElementById("au-texts") || {}).dataset || {};
  var version = parseInt(root.dataset.version || "0", 10);
  var endsAt = null;
  var skew = 0; // server clock minus ours, in ms
  var state = root.dataset.state;
  var endsEl = root.querySelector("[data-ends-at]");
  var countdown = root.querySelector("[data-countdown]");
  if (endsEl) endsAt = new Date(endsEl.getAttribute("datetime"));

  function set(selector, text) {
    var el = root.querySelector(selector);
    if (el && text !== undefined && text !== null) el.textContent = text;
    return el;
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    if (!countdown || !endsAt) return;
    if (state === "scheduled") { countdown.textContent = ""; return; }
    var left = endsAt.getTime() - (Date.now() + skew);
    if (left <= 0 || state === "closed") {
      countdown.textContent = texts.ended || "";
      return;
    }
    var s = Math.floor(left / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    countdown.textContent = (d ? d + (texts.days || "d") + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(sec);
    countdown.classList.toggle("au-soon", left < 5 * 60 * 1000);
  }

  // "2026-12-05 14:00:12" in the show's time zone, as the server renders it, whatever the
  // browser's own zone and language.
  function showTime(moment) {
    var parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", {
        timeZone: root.dataset.tz || "Asia/Shanghai", year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
      }).formatToParts(moment).forEach(function (part) { parts[part.type] = part.value; });
    } catch (error) {
      return moment.toISOString();
    }
    return parts.year + "-" + parts.month + "-" + parts.day + " " +
      parts.hour + ":" + parts.minute + ":" + parts.second;
  }

  function apply(data) {
    if (!data || typeof data.version !== "number" || data.version < version) return;
    version = data.version;
    root.dataset.version = String(version);
    if (data.server_time) skew = new Date(data.server_time).getTime() - Date.now();
    if (data.price_fen !== null) {
      set("[data-price]", data.price_display);
      var note = root.querySelector("[data-price-note]");
      if (note) note.hidden = true;
    }
    set("[data-bid-count]", String(data.bid_count));
    set("[data-leader]", data.leader || "—");
    if (data.minimum_bid_display) {
      set("[data-minimum]", data.minimum_bid_display);
      var input = root.querySelector("[data-bid-form] input[name=max_yuan]");
      if (input) input.placeholder = data.minimum_bid_display;
    }
    endsAt = new Date(data.ends_at);
    if (endsEl) {
      endsEl.setAttribute("datetime", data.ends_at);
      endsEl.textContent = showTime(endsAt);
    }
    var ext = root.querySelector("[data-extended]");
    if (ext) ext.hidden = !data.extended;
    if (data.state !== state) {
      state = data.state;
      root.dataset.state = state;
      set("[data-state-label]", texts[state] || state);
      if (state === "closed") set("[data-you]", texts.reload);
    }
    var you = data.you;
    if (you && state !== "closed") {
      var msg = you.leading ? texts.leading : you.just_outbid ? texts.justOutbid : you.outbid ? texts.outbid : "";
      var el = set("[data-you]", msg);
      if (el) el.classList.toggle("au-alert", !!you.just_outbid || (!!you.outbid && !you.leading));
    }
    root.classList.remove("au-flash");
    void root.offsetWidth; // restart the highlight
    root.classList.add("au-flash");
    tick();
  }

  var polling = null;
  function poll() {
    if (polling) return;
    var url = root.dataset.liveUrl;
    polling = setInterval(function () {
      fetch(url + "?since_version=" + version, {
        credentials: "same-origin",
        headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang },
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data && data.changed) apply(data); })
        .catch(function () {});
    }, 2000);
  }

  if (window.EventSource) {
    var failures = 0;
    var source = new EventSource(root.dataset.eventsUrl);
    source.addEventListener("lot", function (event) {
      failures = 0;
      try { apply(JSON.parse(event.data)); } catch (e) { /* a bad frame: wait for the next */ }
    });
    source.addEventListener("error", function () {
      // A stream ends every few minutes on purpose and reconnects by itself; only
      // repeated failures mean events do not get through (a proxy): poll instead.
      failures += 1;
      if (failures >= 3 || source.readyState === EventSource.CLOSED) {
        source.close();
        poll();
      }
    });
  } else {
    poll();
  }
  tick();
  setInterval(tick, 1000);
})();

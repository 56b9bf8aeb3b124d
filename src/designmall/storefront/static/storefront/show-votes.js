// The show's favourites and audience award, progressively: a heart toggles in place
// (the form posts as JSON; without this file it posts and comes back to the page), and the
// leaderboard polls its JSON every ten seconds while the page is visible.
(function () {
  "use strict";

  document.querySelectorAll("form[data-favourite-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = form.querySelector("button[data-favourite]");
      if (!button || !window.fetch || !window.FormData) return;
      event.preventDefault();
      var body = new FormData(form);
      body.set("action", button.value);
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().then(function (data) { return { status: response.status, data: data }; });
        })
        .then(function (answer) {
          if (answer.status === 401 && answer.data.login) {
            window.location.href = answer.data.login;
            return;
          }
          if (answer.status !== 200) { form.submit(); return; }
          var kept = !!answer.data.favourite;
          // Every heart of this exhibit on the page follows.
          document.querySelectorAll("button[data-favourite='" + button.dataset.favourite + "']").forEach(function (other) {
            other.value = kept ? "remove" : "add";
            other.setAttribute("aria-pressed", kept ? "true" : "false");
            other.textContent = kept ? other.dataset.on : other.dataset.off;
          });
        })
        .catch(function () { form.submit(); })
        .then(function () { button.disabled = false; });
    });
  });

  var board = document.querySelector("[data-board]");
  if (!board || !window.fetch) return;
  var english = board.dataset.lang === "en";

  function row(standing) {
    var li = document.createElement("li");
    li.className = "row";
    li.dataset.standing = standing.exhibit;
    var rank = document.createElement("span");
    rank.className = "show-rank";
    rank.textContent = standing.rank;
    var main = document.createElement("span");
    main.className = "row-main";
    var link = document.createElement("a");
    link.href = board.dataset.exhibitUrl.replace("CODE", standing.code);
    var title = document.createElement("strong");
    title.textContent = english ? standing.title_en || standing.title_zh : standing.title_zh || standing.title_en;
    link.appendChild(title);
    var shop = document.createElement("span");
    shop.className = "muted small";
    shop.textContent = english ? standing.shop_en || standing.shop_zh : standing.shop_zh || standing.shop_en;
    main.appendChild(link);
    main.appendChild(shop);
    var votes = document.createElement("strong");
    votes.className = "show-votes";
    votes.dataset.votesOf = standing.exhibit;
    votes.textContent = board.dataset.votes.replace("#", standing.votes);
    li.appendChild(rank);
    li.appendChild(main);
    li.appendChild(votes);
    return li;
  }

  function refresh() {
    if (document.hidden) return;
    fetch(board.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.standings || !data.standings.length) return;
        var rows = document.createDocumentFragment();
        data.standings.forEach(function (standing) { rows.appendChild(row(standing)); });
        board.replaceChildren(rows);
        board.dataset.refreshed = String(Date.now());
      })
      .catch(function () {});
  }

  window.setInterval(refresh, 10000);
  document.addEventListener("visibilitychange", refresh);
  if (board.dataset.pollNow !== undefined) refresh();
})();

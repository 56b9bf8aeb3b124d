// Design Mall storefront: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Product gallery: a thumbnail shows its image in the main frame instead of opening it.
  document.querySelectorAll("[data-gallery]").forEach(function (gallery) {
    var main = gallery.querySelector("[data-gallery-main]");
    if (!main) return;
    gallery.querySelectorAll("[data-gallery-thumb]").forEach(function (thumb) {
      thumb.addEventListener("click", function (event) {
        event.preventDefault();
        var img = thumb.querySelector("img");
        main.src = thumb.href;
        main.alt = img ? img.alt : "";
        gallery.querySelectorAll("[data-gallery-thumb]").forEach(function (other) {
          other.removeAttribute("aria-current");
        });
        thumb.setAttribute("aria-current", "true");
      });
    });
  });

  // SKU choice: show the chosen SKU's price and stock.
  document.querySelectorAll("[data-sku-choice]").forEach(function (choice) {
    var price = document.querySelector("[data-sku-price]");
    var stock = document.querySelector("[data-sku-stock]");
    choice.addEventListener("change", function (event) {
      var input = event.target;
      if (!input.matches("input[type=radio]")) return;
      if (price) price.textContent = input.dataset.price;
      if (stock) {
        var n = parseInt(input.dataset.stock, 10) || 0;
        stock.textContent = n <= 0 ? stock.dataset.soldOut
          : n <= 5 ? stock.dataset.few.replace("{n}", n)
          : stock.dataset.inStock;
      }
    });
  });

  // Sort menus apply as soon as they change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // The filter panel starts open where there is room for it.
  if (window.matchMedia("(min-width: 1000px)").matches) {
    document.querySelectorAll(".filters-box").forEach(function (box) { box.open = true; });
  }

  // Pre-sale countdowns: "2天 03:04:05" to a moment; the page drawn by the server says the
  // dates, this only ticks. A countdown that reaches zero reloads nothing: it says so.
  var countdowns = document.querySelectorAll("[data-countdown-to]");
  if (countdowns.length) {
    var pad = function (n) { return n < 10 ? "0" + n : String(n); };
    var english = document.documentElement.lang === "en";
    var tick = function () {
      countdowns.forEach(function (el) {
        var left = new Date(el.getAttribute("data-countdown-to")).getTime() - Date.now();
        if (!(left > 0)) { el.textContent = english ? "now" : "已到"; return; }
        var s = Math.floor(left / 1000), d = Math.floor(s / 86400);
        el.textContent = (d ? d + (english ? "d " : "天 ") : "") + pad(Math.floor((s % 86400) / 3600)) +
          ":" + pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
      });
    };
    tick();
    window.setInterval(tick, 1000);
  }

  // Close the user menu when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
})();

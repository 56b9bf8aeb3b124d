// Design Mall storefront: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // The header's cart count, from the cookie the cart pages keep (no query per page, and
  // cached pages stay the same for everyone).
  var cartCount = (document.cookie.match(/(?:^|; )dm_cart=(\d+)/) || [])[1];
  document.querySelectorAll("[data-cart-count]").forEach(function (badge) {
    if (cartCount && cartCount !== "0") {
      badge.textContent = cartCount;
      badge.hidden = false;
    }
  });

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
    var prices = document.querySelectorAll("[data-sku-price], [data-sku-price-bar]");
    var stock = document.querySelector("[data-sku-stock]");
    choice.addEventListener("change", function (event) {
      var input = event.target;
      if (!input.matches("input[type=radio]")) return;
      prices.forEach(function (price) { price.textContent = input.dataset.price; });
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

  // The product form's designer picker: a search box over the seller center's designer
  // lookup (a small JSON endpoint) with the matches as suggestions; the list it replaces
  // stays in the form, hidden, and carries the chosen designer.
  document.querySelectorAll("select[data-designer-picker]").forEach(function (select) {
    var url = select.dataset.lookup;
    if (!url || !window.fetch) return;
    var byLabel = {};
    Array.prototype.forEach.call(select.options, function (option) {
      if (option.value) byLabel[option.text] = option.value;
    });
    var input = document.createElement("input");
    var list = document.createElement("datalist");
    input.type = "search";
    input.id = select.id + "-search";
    input.autocomplete = "off";
    input.placeholder = select.dataset.placeholder || "";
    input.setAttribute("list", list.id = select.id + "-options");
    input.setAttribute("data-designer-search", "");
    if (select.getAttribute("aria-describedby")) {
      input.setAttribute("aria-describedby", select.getAttribute("aria-describedby"));
    }
    input.value = select.value ? select.options[select.selectedIndex].text : "";
    var label = document.querySelector('label[for="' + select.id + '"]');
    if (label) label.htmlFor = input.id;
    select.hidden = true;
    select.insertAdjacentElement("afterend", list);
    select.insertAdjacentElement("afterend", input);

    var timer = null;
    var asked = "";
    function choose() {
      var text = input.value.trim();
      if (!text) { select.value = ""; return true; }
      if (byLabel[text]) { select.value = byLabel[text]; return true; }
      return false;
    }
    function lookup() {
      var text = input.value.trim();
      if (text === asked) return;
      asked = text;
      fetch(url + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { designers: [] }; })
        .then(function (data) {
          if (asked !== text) return;
          list.textContent = "";
          data.designers.forEach(function (designer) {
            byLabel[designer.label] = designer.id;
            var option = document.createElement("option");
            option.value = designer.label;
            list.appendChild(option);
          });
          choose();
        })
        .catch(function () {});
    }
    input.addEventListener("input", function () {
      if (choose()) return;
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });
    input.addEventListener("focus", lookup);
    input.addEventListener("change", function () {
      // A name that is no designer's: back to the designer chosen before.
      if (!choose()) input.value = select.value ? select.options[select.selectedIndex].text : "";
    });
  });

  // The category bar: scroll the current category into view, and fade the edge with more.
  document.querySelectorAll(".cats-row").forEach(function (row) {
    var current = row.querySelector('[aria-current="page"]');
    if (current && row.scrollWidth > row.clientWidth) {
      row.scrollLeft = Math.max(0, current.offsetLeft - (row.clientWidth - current.offsetWidth) / 2);
    }
    function edges() {
      row.classList.toggle("more-left", row.scrollLeft > 2);
      row.classList.toggle("more-right", row.scrollLeft + row.clientWidth < row.scrollWidth - 2);
    }
    edges();
    row.addEventListener("scroll", edges, { passive: true });
    window.addEventListener("resize", edges);
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

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

  // Close the user menu when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
})();

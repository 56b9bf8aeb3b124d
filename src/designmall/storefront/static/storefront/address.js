// The address form's province / city / district picker: when a higher level changes, the
// lower ones are refilled from the divisions file the server serves (accounts.divisions).
// Without this file the form still works: the page asks again with the new level's options.
(function () {
  "use strict";
  var form = document.querySelector("[data-division-picker]");
  if (!form) return;
  var province = form.querySelector("[data-division-province]");
  var city = form.querySelector("[data-division-city]");
  var district = form.querySelector("[data-division-district]");
  var tree = null;

  function fill(select, names, prompt) {
    select.innerHTML = "";
    select.appendChild(new Option(prompt, ""));
    names.forEach(function (name) { select.appendChild(new Option(name, name)); });
  }
  function citiesOf(p) {
    var found = tree.filter(function (row) { return row[1] === p; })[0];
    return found ? found[2] : [];
  }
  function districtsOf(p, c) {
    var found = citiesOf(p).filter(function (row) { return row[1] === c; })[0];
    return found ? found[2].map(function (row) { return row[1]; }) : [];
  }
  fetch(form.dataset.divisionsUrl, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      tree = data.divisions;
      province.addEventListener("change", function () {
        fill(city, citiesOf(province.value).map(function (row) { return row[1]; }), form.dataset.promptCity);
        fill(district, [], form.dataset.promptDistrict);
      });
      city.addEventListener("change", function () {
        fill(district, districtsOf(province.value, city.value), form.dataset.promptDistrict);
      });
      // A province picked before the file arrived (a slow network) still gets its cities.
      if (province.value && city.options.length <= 1) {
        fill(city, citiesOf(province.value).map(function (row) { return row[1]; }), form.dataset.promptCity);
      }
    });
})();

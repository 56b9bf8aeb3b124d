/* The show's dashboards: each chart is drawn (Chart.js 4.6.2, vendored under
   static/vendor/chartjs) from the figures' table beside it, so the chart shows exactly the
   table's numbers, and the page reads without JavaScript. The table's first column names
   the bars; the columns marked data-series are the chart's series; a cell's data-value is
   its number. */
(function () {
  "use strict";
  var COLOURS = ["#1f6f5c", "#d9822b", "#4c6ef5", "#c2255c", "#7048e8", "#2b8a3e", "#868e96", "#e8590c"];

  function seriesOf(table) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var labels = rows.map(function (row) { return row.cells[0].textContent.trim(); });
    var datasets = [];
    heads.forEach(function (head, index) {
      if (!head.hasAttribute("data-series")) return;
      var colour = COLOURS[datasets.length % COLOURS.length];
      datasets.push({
        label: head.textContent.trim(),
        data: rows.map(function (row) {
          var value = parseFloat(row.cells[index].getAttribute("data-value"));
          return isNaN(value) ? 0 : value;
        }),
        backgroundColor: colour,
        borderColor: colour,
      });
    });
    return { labels: labels, datasets: datasets };
  }

  function draw(section) {
    var table = section.querySelector("[data-chart-table]");
    var canvas = section.querySelector("[data-chart-canvas]");
    if (!table || !canvas || !window.Chart) return;
    var stacked = section.hasAttribute("data-stacked");
    var horizontal = section.hasAttribute("data-horizontal");
    var data = seriesOf(table);
    new window.Chart(canvas, {
      type: section.getAttribute("data-kind") || "bar",
      data: data,
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: data.datasets.length > 1, position: "bottom" } },
        scales: {
          x: { stacked: stacked, beginAtZero: true, ticks: { autoSkip: !horizontal } },
          y: { stacked: stacked, beginAtZero: true, ticks: { autoSkip: horizontal ? false : true } },
        },
      },
    });
    section.setAttribute("data-drawn", "true");
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-dash-chart]"), draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

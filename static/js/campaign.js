// Campaign pages: charts (vendored Chart.js) and countdowns. No inline scripts (CSP).
(function () {
  "use strict";
  var palette = ["#137a4b", "#f0b400", "#1f77b4", "#9e9e9e", "#d62728"];
  if (window.Chart) {
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var data;
      try { data = JSON.parse(canvas.getAttribute("data-chart-data")); } catch (e) { return; }
      var type = canvas.getAttribute("data-chart");
      data.datasets.forEach(function (set, i) {
        if (type === "doughnut") {
          set.backgroundColor = palette.slice(0, set.data.length);
        } else {
          set.backgroundColor = palette[i % palette.length];
        }
      });
      new window.Chart(canvas, {
        type: type,
        data: data,
        options: { responsive: true, maintainAspectRatio: true, animation: false,
                   plugins: { legend: { position: "bottom" } } }
      });
    });
  }
  // Countdowns: <time data-countdown="ISO instant" data-label-*>; updated each second.
  var clocks = document.querySelectorAll("[data-countdown]");
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    clocks.forEach(function (el) {
      var target = Date.parse(el.getAttribute("data-countdown"));
      var left = Math.max(0, Math.floor((target - now) / 1000));
      var days = Math.floor(left / 86400);
      var rest = left % 86400;
      var text = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
      el.textContent = (days ? days + " " + (el.getAttribute("data-days") || "d") + " " : "") + text;
    });
  }
  if (clocks.length) { tick(); window.setInterval(tick, 1000); }
})();

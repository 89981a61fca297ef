/* Draws every `.widget-chart` with the vendored ECharts; a click on a bar, point or slice opens the
   orders behind it (each data point carries its drill-through URL). */
(function () {
  // ECharts' HTML tooltips are markup with style="" attributes, which the Content-Security-Policy
  // refuses (no 'unsafe-inline' for styles): the tooltips are drawn on the chart's canvas instead.
  function canvasTooltips(options) {
    [].concat(options.tooltip || []).forEach(function (t) { t.renderMode = "richText"; t.confine = true; });
    return options;
  }
  function draw(el) {
    var source = document.getElementById(el.dataset.optionsId);
    if (!source || el.dataset.drawn) return;
    var spec = JSON.parse(source.textContent);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(canvasTooltips(spec.options));
    chart.on("click", function (params) {
      var series = spec.drills[params.seriesIndex] || spec.drills[0] || [];
      var url = series[params.dataIndex];
      if (url) window.location.href = url;
    });
    el.dataset.drawn = "1";
    el.chart = chart;
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function drawAll() { document.querySelectorAll(".widget-chart").forEach(draw); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll); else drawAll();
  // The pivot's column picker only matters for the pivot chart.
  document.addEventListener("change", function (e) {
    if (e.target && e.target.name === "chart") {
      var cols = document.getElementById("columns-field");
      if (cols) cols.hidden = e.target.value !== "pivot";
    }
  });
})();

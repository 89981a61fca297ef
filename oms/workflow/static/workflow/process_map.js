/* The process map: the order's states and the rules switched on, drawn with the vendored ECharts
   `graph` series from the data the page passes in a json_script (no inline script: CSP). */
(function () {
  var COLORS = ["#2f6fb0", "#5b6470", "#c27c0e", "#a0a7b0"];
  function draw() {
    var el = document.getElementById("process-map");
    if (!el || !window.echarts) return;
    var data = JSON.parse(document.getElementById(el.dataset.source).textContent);
    el.style.height = el.dataset.height + "px";  // the graph's height; a style="" attribute would break the CSP
    var nodes = data.nodes.map(function (n) {
      var state = n.kind === "state";
      return {
        id: n.id, name: n.name, x: n.x * 140, y: n.y * 110, category: n.category,
        symbol: state ? "roundRect" : "rect",
        symbolSize: state ? [104, 40] : [158, 14 + 16 * n.name.split("\n").length],
        label: state
          ? { show: true, color: "#fff", fontSize: 14, fontWeight: "bold" }
          : { show: true, color: "#222", fontSize: 12, lineHeight: 16, align: "center", position: "inside",
              width: 146, overflow: "truncate" },
        itemStyle: state ? {} : { color: n.category === 3 ? "#f1f2f4" : "#fdf3e1",
                                  borderColor: COLORS[n.category], borderWidth: 1.5 },
        tooltip: { formatter: function () { return n.name; } }
      };
    });
    var links = data.links.map(function (l) {
      var style = { color: "#8a939e", width: 1.4, curveness: 0.15 };
      if (l.kind === "trigger") style = { color: "#c27c0e", width: 1.2, type: "dashed", curveness: 0 };
      if (l.kind === "branch") style = { color: "#c0392b", width: 1.6, curveness: 0.25 };
      // Only the main path and the branches are labelled: the many edges into on hold and cancelled
      // say the same word, and a rule's box names its own trigger.
      var quiet = l.kind === "trigger" || (l.kind === "transition" &&
        (l.target === "state:on_hold" || l.target === "state:cancelled"));
      return { source: l.source, target: l.target, lineStyle: style,
               label: { show: !quiet, formatter: l.label, fontSize: 11, color: style.color } };
    });
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      color: COLORS,
      // Drawn on the canvas: ECharts' HTML tooltips carry style="" attributes, refused by the CSP.
      tooltip: { confine: true, renderMode: "richText" },
      legend: { data: data.categories, top: 0 },
      series: [{
        type: "graph", layout: "none", roam: true, top: 60, bottom: data.bottom, left: 80, right: 90,
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 8,
        categories: data.categories.map(function (c) { return { name: c }; }),
        data: nodes, links: links
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.chart = chart;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();

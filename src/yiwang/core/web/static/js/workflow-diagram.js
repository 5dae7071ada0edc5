/* A workflow definition as a diagram: states as nodes (colour by kind), transitions as labelled arrows.
   Reads #wf-diagram[data-graph] = {nodes: [{id, name, kind, kind_label, x, y}], edges: [{source, target, label, system}]}. */
(function () {
  "use strict";
  var theme = window.yiwangCharts;
  var el = document.getElementById("wf-diagram");
  if (!window.echarts || !theme || !el) { return; }
  var graph = JSON.parse(el.getAttribute("data-graph"));
  var colour = { initial: theme.red, active: "#2563eb", paused: "#d97706", terminal: "#059669" };
  /* arrows both ways between two states bend apart; a single arrow is straight */
  var pairs = {};
  graph.edges.forEach(function (e) {
    var key = [e.source, e.target].sort().join("|");
    pairs[key] = (pairs[key] || 0) + 1;
  });
  theme.mount(el, {
    textStyle: { fontFamily: theme.font },
    tooltip: {
      formatter: function (p) {
        return p.dataType === "edge" ? p.data.label : p.data.name + "（" + p.data.kind_label + "）";
      },
    },
    series: [{
      type: "graph", layout: "none", roam: false, edgeSymbol: ["none", "arrow"], edgeSymbolSize: 9,
      symbol: "roundRect", symbolSize: [96, 40],
      label: { show: true, color: "#fff", fontSize: 13, fontWeight: 600 },
      edgeLabel: { show: true, fontSize: 11, color: "#374151", formatter: function (p) { return p.data.label; },
                   backgroundColor: "rgba(255,255,255,0.85)", padding: [1, 3] },
      data: graph.nodes.map(function (n) {
        return { id: n.id, name: n.name, kind_label: n.kind_label, x: n.x, y: n.y, itemStyle: { color: colour[n.kind] } };
      }),
      links: graph.edges.map(function (e) {
        var both = pairs[[e.source, e.target].sort().join("|")] > 1;
        return { source: e.source, target: e.target, label: e.label,
                 lineStyle: { color: e.system ? "#9ca3af" : "#4b5563", type: e.system ? "dashed" : "solid",
                              width: 1.5, curveness: both ? 0.3 : 0 } };
      }),
    }],
  });
})();

/* Bar charts of the overview page: each .chart[data-chart] holds {title, labels, values, unit}. */
(function () {
  "use strict";
  var theme = window.yiwangCharts;
  if (!window.echarts || !theme) { return; }
  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var spec = JSON.parse(el.getAttribute("data-chart"));
    theme.mount(el, {
      textStyle: { fontFamily: theme.font },
      color: [theme.red],
      grid: { left: 64, right: 24, top: 28, bottom: 40 },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: function (v) { return theme.number(v) + " " + spec.unit; },
      },
      xAxis: { type: "category", data: spec.labels, axisTick: { alignWithLabel: true },
               axisLabel: { interval: 0, fontSize: 12 } },
      yAxis: { type: "value", name: spec.unit, nameTextStyle: { padding: [0, 24, 0, 0] },
               splitLine: { lineStyle: { color: "#eef0f3" } } },
      series: [{
        type: "bar", name: spec.title, data: spec.values, barMaxWidth: 48,
        itemStyle: { borderRadius: [4, 4, 0, 0] },
        label: { show: true, position: "top", fontSize: 12, color: "#4b5563",
                 formatter: function (p) { return theme.number(p.value); } },
      }],
    });
  });
})();

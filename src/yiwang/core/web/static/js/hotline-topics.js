/* 热点诉求: horizontal bars, the largest cluster on top, its district and words as the label
   (readable on a phone). Data from #hl-topics-chart[data-chart] {labels, values, unit}. */
(function () {
  "use strict";
  var theme = window.yiwangCharts;
  var el = document.getElementById("hl-topics-chart");
  if (!el || !window.echarts || !theme) { return; }
  var spec = JSON.parse(el.getAttribute("data-chart"));
  var narrow = el.clientWidth < 520;
  el.style.height = Math.max(220, 44 * spec.labels.length + 40) + "px";
  theme.mount(el, {
    textStyle: { fontFamily: theme.font },
    color: [theme.red],
    grid: { left: 8, right: 36, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true,
               valueFormatter: function (v) { return theme.number(v) + " " + spec.unit; } },
    xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef0f3" } } },
    yAxis: { type: "category", data: spec.labels, inverse: true, axisTick: { show: false },
             axisLabel: { fontSize: 12, width: narrow ? 120 : 240, overflow: "truncate" } },
    series: [{ type: "bar", name: spec.title, data: spec.values, barMaxWidth: 22,
               itemStyle: { borderRadius: [0, 3, 3, 0] },
               label: { show: true, position: "right", fontSize: 12, color: "#4b5563" } }],
  });
})();

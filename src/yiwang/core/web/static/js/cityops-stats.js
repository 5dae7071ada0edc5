/* The public statistics page's trend chart (data in the element's data-trend attribute). */
(function () {
  "use strict";
  var theme = window.yiwangCharts;
  var el = document.getElementById("co-trend");
  if (!el || !window.echarts || !theme) { return; }
  var t = JSON.parse(el.getAttribute("data-trend"));
  theme.mount(el, {
    textStyle: { fontFamily: theme.font }, tooltip: { trigger: "axis" }, legend: { data: ["受理", "办结"], top: 0, right: 8 },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: t.days }, yAxis: { type: "value", minInterval: 1 },
    series: [{ name: "受理", type: "line", data: t.created, color: theme.red },
             { name: "办结", type: "line", data: t.closed, color: "#059669" }],
  });
})();

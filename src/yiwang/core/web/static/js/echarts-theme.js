/* Shared look of the charts and maps (loaded after the vendored echarts.min.js; no inline script: CSP). */
(function () {
  "use strict";
  window.yiwangCharts = {
    font: '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    red: "#c8161d",
    scale: ["#fdecec", "#f7b4b4", "#e6585c", "#c8161d", "#8f0f14"],
    number: function (v) {
      return v === null || v === undefined ? "—" : Number(v).toLocaleString("zh-CN");
    },
    /* init a chart on an element, keep it sized with its box, mark it rendered for tests */
    mount: function (el, option) {
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.on("finished", function () { el.setAttribute("data-rendered", "1"); });
      chart.setOption(option);
      if (window.ResizeObserver) {
        new ResizeObserver(function () { chart.resize(); }).observe(el);
      }
      return chart;
    },
  };
})();

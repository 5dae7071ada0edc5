/* 共享监控 charts: fetch the monitor JSON named by #ex-monitor[data-src] and draw four charts
   (calls per resource, calls per consumer department, refusals by reason, latency per resource).
   No inline script (CSP script-src 'self'); text reaches the page only through ECharts. */
(function () {
  "use strict";
  var theme = window.yiwangCharts;
  var root = document.getElementById("ex-monitor");
  if (!root || !window.echarts || !theme) { return; }
  var status = document.getElementById("ex-monitor-status");
  var GREY = "#9ca3af";

  function short(text, n) {
    text = String(text || "");
    return text.length > n ? text.slice(0, n - 1) + "…" : text;
  }

  function empty(labels) {
    return labels.length ? [] : [{
      type: "text", left: "center", top: "middle",
      style: { text: "所选时段暂无数据", fill: GREY, fontSize: 14, fontFamily: theme.font },
    }];
  }

  function base(labels, unit) {
    return {
      textStyle: { fontFamily: theme.font },
      graphic: empty(labels),
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" }, confine: true,
        valueFormatter: function (v) { return theme.number(v) + " " + unit; },
      },
      legend: { top: 0, right: 8, itemWidth: 12, itemHeight: 10, textStyle: { fontSize: 12 } },
    };
  }

  function valueAxis(unit) {
    return { type: "value", name: unit, minInterval: unit === "次" ? 1 : 0, splitLine: { lineStyle: { color: "#eef0f3" } } };
  }

  /* vertical bars: resource names under the axis */
  function columns(el, labels, series, unit, colors) {
    var option = base(labels, unit);
    option.color = colors;
    option.grid = { left: 56, right: 20, top: 40, bottom: 56 };
    option.xAxis = { type: "category", data: labels, axisTick: { alignWithLabel: true },
                     axisLabel: { interval: 0, fontSize: 12, formatter: function (v) { return short(v, 8); } } };
    option.yAxis = valueAxis(unit);
    option.series = series.map(function (s) {
      return Object.assign({ type: "bar", barMaxWidth: 36, itemStyle: { borderRadius: [3, 3, 0, 0] } }, s);
    });
    theme.mount(el, option);
  }

  /* horizontal bars: long names (departments, reasons) on the left */
  function rows(el, labels, series, unit, colors, width) {
    var option = base(labels, unit);
    option.color = colors;
    option.grid = { left: 12, right: 40, top: 40, bottom: 24, containLabel: true };
    option.yAxis = { type: "category", data: labels.slice().reverse(), axisTick: { show: false },
                     axisLabel: { fontSize: 12, formatter: function (v) { return short(v, width); } } };
    option.xAxis = valueAxis(unit);
    delete option.xAxis.name;  /* the legend names the measure; an axis name here collides with labels */
    option.series = series.map(function (s) {
      return Object.assign({ type: "bar", barMaxWidth: 22, itemStyle: { borderRadius: [0, 3, 3, 0] },
                             label: { show: true, position: "right", fontSize: 12, color: "#4b5563" } },
                           s, { data: s.data.slice().reverse() });
    });
    theme.mount(el, option);
  }

  function draw(m) {
    var res = m.by_resource;
    var resNames = res.map(function (r) { return r.name; });
    columns(document.getElementById("chart-resources"), resNames, [
      { name: "成功", stack: "calls", data: res.map(function (r) { return r.calls - r.refusals; }) },
      { name: "拒绝", stack: "calls", data: res.map(function (r) { return r.refusals; }) },
    ], "次", [theme.red, GREY]);

    var top = m.by_consumer.slice(0, 12);
    rows(document.getElementById("chart-consumers"), top.map(function (d) { return d.name; }), [
      { name: "调用次数", data: top.map(function (d) { return d.calls; }) },
    ], "次", [theme.red], 14);

    var reasons = m.refusal_reasons;
    rows(document.getElementById("chart-refusals"), reasons.map(function (r) { return r.reason; }), [
      { name: "拒绝次数", data: reasons.map(function (r) { return r.count; }) },
    ], "次", ["#b45309"], 16);

    columns(document.getElementById("chart-latency"), resNames, [
      { name: "中位数 p50", data: res.map(function (r) { return r.p50_ms; }) },
      { name: "平均", data: res.map(function (r) { return r.avg_ms; }) },
      { name: "最大", data: res.map(function (r) { return r.max_ms; }) },
    ], "毫秒", ["#f7b4b4", theme.red, "#8f0f14"]);
  }

  fetch(root.getAttribute("data-src"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    })
    .then(draw)
    .catch(function (err) {
      if (status) { status.textContent = "图表数据加载失败（" + err.message + "），请刷新页面重试。"; }
    });
})();

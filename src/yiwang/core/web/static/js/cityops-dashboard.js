/* The command dashboard: district, street and grid boundaries from /api/v1/geo (the project's own
   GeoJSON, no online tiles), grids coloured by open events, each event a point; charts of open
   events by class and status and the 14-day trend; figures refreshed every 30 seconds. */
(function () {
  "use strict";
  var theme = window.yiwangCharts;
  var el = document.getElementById("co-map");
  if (!el || !window.echarts || !theme) { return; }
  var status = document.getElementById("co-map-status");
  var charts = {};
  var STATE_COLORS = { "待立案": "#f59e0b", "待派遣": "#f97316", "待处置": "#c8161d", "待核查": "#2563eb",
                       "已合并": "#9ca3af", "已结案": "#059669", "不予立案": "#6b7280" };

  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function rings(geo) {
    var out = [];
    geo.features.forEach(function (f) {
      var g = f.geometry, polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      polys.forEach(function (p) { out.push({ coords: p[0] }); });
    });
    return out;
  }
  function mapOption(f, grids) {
    var counts = f.grids_open || {};
    var data = grids.features.map(function (g) {
      return { name: g.properties.name, value: counts[g.properties.code] || 0 };
    });
    var points = f.points.map(function (p) {
      return { name: "#" + p.id + " " + p.category, value: [p.lon, p.lat], status: p.status, id: p.id,
               itemStyle: { color: STATE_COLORS[p.status] || theme.red } };
    });
    var max = Math.max.apply(null, data.map(function (d) { return d.value; }).concat([1]));
    return {
      series: [
        { id: "grids", type: "map", geoIndex: 0, data: data },
        { id: "points", type: "scatter", coordinateSystem: "geo", data: points.filter(function (p) { return p.status !== "已结案"; }),
          symbolSize: 11, z: 5 },
        { id: "done", type: "scatter", coordinateSystem: "geo", data: points.filter(function (p) { return p.status === "已结案"; }),
          symbolSize: 7, symbol: "diamond", z: 4 },
      ],
      visualMap: { min: 0, max: max, seriesIndex: 0, orient: "horizontal", left: "center", bottom: 0, itemWidth: 10,
                   itemHeight: 90, calculable: false,
                   text: ["未结案多", "少"], inRange: { color: ["#f1f5f9", "#fde2e2", "#f7b4b4", "#e6585c"] } },
    };
  }
  function drawMap(f, layers) {
    var grids = layers[0], streets = layers[1], districts = layers[2];
    window.echarts.registerMap("yiwang-city-grids", grids);
    var option = {
      textStyle: { fontFamily: theme.font },
      tooltip: { trigger: "item", formatter: function (p) {
        if (p.seriesType === "scatter") { return p.name + "<br>" + p.data.status; }
        if (p.seriesType === "map") { return p.name + "<br>未结案事件：" + (p.value || 0); }
        return "";
      } },
      geo: { map: "yiwang-city-grids", roam: true, layoutCenter: ["50%", "46%"], layoutSize: "88%",
             itemStyle: { areaColor: "#f1f5f9", borderColor: "#cbd5e1", borderWidth: 0.6 },
             emphasis: { itemStyle: { areaColor: "#fde68a" }, label: { show: false } }, label: { show: false } },
    };
    var dyn = mapOption(f, grids);
    option.visualMap = dyn.visualMap;
    option.series = dyn.series.concat([
      { id: "streets", type: "lines", coordinateSystem: "geo", polyline: true, silent: true, data: rings(streets),
        lineStyle: { color: "#64748b", width: 1.2, opacity: 0.9 }, z: 3 },
      { id: "districts", type: "lines", coordinateSystem: "geo", polyline: true, silent: true, data: rings(districts),
        lineStyle: { color: "#1f2937", width: 2.4 }, z: 3 },
    ]);
    charts.map = theme.mount(el, option);
    charts.map.on("click", function (p) {
      if (p.seriesType === "scatter" && p.data.id) { window.location.href = "/cityops/events/" + p.data.id; }
    });
    charts.grids = grids;
    status.textContent = "粗线为区界，细线为街道界，色块为网格（颜色越深未结案事件越多）；圆点为未结案事件，菱形为已结案。";
  }
  function pairs(obj) { return Object.keys(obj).map(function (k) { return { name: k, value: obj[k] }; }); }
  function drawCharts(f) {
    var cat = pairs(f.by_category);
    var catOpt = { textStyle: { fontFamily: theme.font }, tooltip: {}, grid: { left: 110, right: 20, top: 8, bottom: 24 },
      graphic: cat.length ? [] : [{ type: "text", left: "center", top: "middle", style: { text: "暂无未结案事件", fill: "#6b7280", fontSize: 14 } }],
      xAxis: { type: "value", minInterval: 1, show: cat.length > 0 }, yAxis: { type: "category", show: cat.length > 0, data: cat.map(function (c) { return c.name; }) },
      series: [{ type: "bar", data: cat.map(function (c) { return c.value; }), color: theme.red }] };
    var stOpt = { textStyle: { fontFamily: theme.font }, tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["40%", "70%"], data: pairs(f.by_status).map(function (d) {
        d.itemStyle = { color: STATE_COLORS[d.name] || "#94a3b8" }; return d; }), label: { formatter: "{b} {c}" } }] };
    var trOpt = { textStyle: { fontFamily: theme.font }, tooltip: { trigger: "axis" }, legend: { data: ["上报", "结案"], top: 0, right: 8 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 }, xAxis: { type: "category", data: f.trend.days },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "上报", type: "line", data: f.trend.created, color: theme.red },
               { name: "结案", type: "line", data: f.trend.closed, color: "#059669" }] };
    [["byCategory", "co-by-category", catOpt], ["byStatus", "co-by-status", stOpt], ["trend", "co-trend", trOpt]]
      .forEach(function (c) {
        if (charts[c[0]]) { charts[c[0]].setOption(c[2], { replaceMerge: ["series", "graphic"] }); }
        else { charts[c[0]] = theme.mount(document.getElementById(c[1]), c[2]); }
      });
  }
  function row(r) {
    var tr = document.createElement("tr");
    [r.name === "None" ? "待派遣" : r.name, r.events, r.closing_rate + "%",
     r.mean_hours === null ? "—" : r.mean_hours.toFixed(1) + " 小时"].forEach(function (v, i) {
      var td = document.createElement("td"); td.textContent = v; if (i) { td.className = "num"; }
      td.setAttribute("data-label", ["", "件数", "结案率", "平均时长"][i]); tr.appendChild(td);
    });
    return tr;
  }
  function refresh(f) {
    document.getElementById("co-updated").textContent = f.updated_at;
    document.querySelectorAll("#co-stats [data-k]").forEach(function (b) {
      var k = b.getAttribute("data-k"); b.textContent = f[k] + (k === "closing_rate" ? "%" : "");
    });
    ["streets", "departments"].forEach(function (k) {
      var body = document.getElementById("co-" + k);
      if (body && f[k].length) { body.replaceChildren.apply(body, f[k].map(row)); }
    });
    drawCharts(f);
    if (charts.map) { charts.map.setOption(mapOption(f, charts.grids)); }
  }
  var url = el.getAttribute("data-url");
  Promise.all([get(url), get("/api/v1/geo/grid"), get("/api/v1/geo/street"), get("/api/v1/geo/district")])
    .then(function (all) { drawMap(all[0], all.slice(1)); drawCharts(all[0]); })
    .catch(function () { status.textContent = "地图加载失败，请刷新页面。"; });
  window.setInterval(function () { get(url).then(refresh).catch(function () {}); }, 30000);
})();

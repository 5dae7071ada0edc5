/* The district / street / grid map: geometry from /api/v1/geo (the project's own GeoJSON,
   registered with echarts.registerMap), counts from the page's data-areas attribute. */
(function () {
  "use strict";
  var theme = window.yiwangCharts;
  var el = document.getElementById("map");
  var status = document.getElementById("map-status");
  if (!el || !window.echarts || !theme) { return; }

  var layer = el.getAttribute("data-layer");
  var within = el.getAttribute("data-within");
  var highlight = el.getAttribute("data-highlight");
  var areas = JSON.parse(el.getAttribute("data-areas") || "[]");
  var counted = areas.some(function (a) { return a.persons !== null; });
  var url = "/api/v1/geo/" + encodeURIComponent(layer) + (within ? "?within=" + encodeURIComponent(within) : "");

  function say(text) { if (status) { status.textContent = text; } }

  function draw(geo) {
    if (!geo.features || !geo.features.length) { say("暂无边界数据。"); return; }
    var mapName = "yiwang-" + layer + "-" + (within || "all");
    window.echarts.registerMap(mapName, geo);
    var data = areas.map(function (a) {
      var item = { name: a.name, code: a.code, value: counted ? a.persons : 0, enterprises: a.enterprises };
      if (highlight && a.name === highlight) {
        item.value = 1;
        item.itemStyle = { areaColor: theme.red, borderColor: "#7f1d1d", borderWidth: 2 };
        item.label = { color: "#fff", textBorderColor: "#7f1d1d", fontWeight: "bold", formatter: "{b}\n（我的网格）" };
      }
      return item;
    });
    var values = data.map(function (d) { return d.value || 0; });
    var lo = Math.min.apply(null, values);
    var hi = Math.max.apply(null, values);
    var option = {
      textStyle: { fontFamily: theme.font },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (!p.data) { return p.name; }
          if (!counted) { return p.name + "<br>" + p.data.code + (p.name === highlight ? "<br>我负责的网格" : ""); }
          return p.name + "<br>登记人口：" + theme.number(p.data.value) + " 人<br>登记企业：" +
            theme.number(p.data.enterprises) + " 户";
        },
      },
      series: [{
        type: "map",
        map: mapName,
        roam: true,
        selectedMode: false,
        layoutCenter: ["50%", "50%"],
        layoutSize: "92%",
        data: data,
        label: {
          show: true, fontSize: 13, lineHeight: 18, color: "#1f2329", textBorderColor: "#ffffff", textBorderWidth: 3,
          formatter: counted ? function (p) { return p.name + "\n" + theme.number(p.value) + " 人"; } : "{b}",
        },
        itemStyle: { areaColor: "#e8edf5", borderColor: "#ffffff", borderWidth: 1.5 },
        emphasis: { label: { show: true, fontWeight: "bold" }, itemStyle: { areaColor: "#fbbf24" } },
      }],
    };
    if (counted) {
      option.visualMap = {
        type: "continuous", min: lo, max: hi > lo ? hi : lo + 1, calculable: true,
        text: ["人口多", "人口少"], left: 16, bottom: 16, itemHeight: 120,
        inRange: { color: theme.scale.slice(0, 4) }, textStyle: { color: "#4b5563" },
        formatter: function (v) { return theme.number(Math.round(v)); },
      };
    }
    var chart = theme.mount(el, option);
    if (layer !== "grid") {
      chart.on("click", function (p) {
        if (p.data && p.data.code) { window.location.href = "/map?within=" + encodeURIComponent(p.data.code); }
      });
    }
    say(counted ? "颜色越深登记人口越多；滚轮缩放、拖动平移，点击区域查看下一级。" : "滚轮缩放、拖动平移。");
  }

  fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    })
    .then(draw)
    .catch(function (err) { say("地图数据加载失败（" + err.message + "），请刷新重试。"); });
})();

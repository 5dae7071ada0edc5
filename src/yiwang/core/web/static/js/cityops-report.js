/* The report form: fill the point from the phone's location; show the plate only for parking. */
(function () {
  "use strict";
  var form = document.getElementById("co-report");
  if (!form) { return; }
  var cat = document.getElementById("category_code");
  var plate = document.getElementById("co-plate-field");
  function plateShown() { plate.hidden = cat.value !== "20505"; }
  cat.addEventListener("change", plateShown);
  plateShown();
  var button = document.getElementById("co-locate");
  var status = document.getElementById("co-locate-status");
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = "此设备不支持定位，请手动填写。"; return; }
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (p) {
      document.getElementById("lon").value = p.coords.longitude.toFixed(6);
      document.getElementById("lat").value = p.coords.latitude.toFixed(6);
      status.textContent = "已使用当前位置（精度约 " + Math.round(p.coords.accuracy) + " 米）。";
    }, function () { status.textContent = "无法获取位置，请手动填写。"; }, { enableHighAccuracy: true, timeout: 10000 });
  });
})();

// The "谁在使用" section of a catalog resource page loads its fragment by htmx. When that
// fragment is missing (404) or fails, or comes back empty, show a quiet fallback instead.
(function () {
  "use strict";

  function fallback(elt, attr) {
    var p = document.createElement("p");
    p.className = "muted";
    p.textContent = elt.getAttribute(attr) || elt.getAttribute("data-catalog-fallback") || "暂无使用方";
    elt.replaceChildren(p);
  }

  function target(evt) {
    var elt = evt.detail && evt.detail.elt;
    return elt && elt.hasAttribute && elt.hasAttribute("data-catalog-fallback") ? elt : null;
  }

  document.addEventListener("htmx:responseError", function (evt) {
    var elt = target(evt);
    if (!elt) return;
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    fallback(elt, status === 404 ? "data-catalog-fallback" : "data-catalog-error");
  });

  document.addEventListener("htmx:sendError", function (evt) {
    var elt = target(evt);
    if (elt) fallback(elt, "data-catalog-error");
  });

  document.addEventListener("htmx:afterSwap", function (evt) {
    var elt = target(evt);
    if (elt && !elt.textContent.trim() && !elt.querySelector("table, ul, ol, img")) {
      fallback(elt, "data-catalog-fallback");
    }
  });
})();

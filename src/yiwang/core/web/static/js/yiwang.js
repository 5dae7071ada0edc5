// The web shell's small behaviours, on every page (loaded in <head>, before the body is drawn):
// the phone menu, the 更多 overflow of the main navigation, tables that become labelled cards
// on phones, validation messages that go away once the field is fixed, and the demo accounts
// of the login page. Plain JavaScript, no build step; every page works without it.
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");
  var PHONE = window.matchMedia("(max-width: 760px)");

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  function each(list, fn) {
    Array.prototype.forEach.call(list, fn);
  }

  // --- disclosure buttons (the phone menu, 更多): aria-expanded drives the CSS ------------------

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function disclosure(button, onOpen) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      setOpen(button, open);
      if (open && onOpen) onOpen();
    });
  }

  function closeOnEscape(button, scope) {
    scope.addEventListener("keydown", function (evt) {
      if (evt.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        setOpen(button, false);
        button.focus();
      }
    });
  }

  // --- the main navigation: a menu on phones, what does not fit under 更多 elsewhere ------------

  function setupNav() {
    var toggle = document.querySelector(".menu-toggle");
    var menu = document.getElementById("site-menu");
    var nav = document.querySelector(".mainnav");
    if (!toggle || !menu || !nav) return;
    var items = nav.querySelector(".nav-items");
    var more = nav.querySelector(".nav-more");
    var moreButton = more.querySelector(".nav-more-toggle");
    var moreList = more.querySelector(".nav-more-list");

    disclosure(toggle, function () {
      var first = menu.querySelector("a, button");
      if (first) first.focus();
    });
    closeOnEscape(toggle, document.querySelector(".topbar"));
    disclosure(moreButton, function () {
      var first = moreList.querySelector("a");
      if (first) first.focus();
    });
    closeOnEscape(moreButton, more);
    document.addEventListener("click", function (evt) {
      if (!more.contains(evt.target)) setOpen(moreButton, false);
    });
    more.addEventListener("focusout", function (evt) {
      if (evt.relatedTarget && !more.contains(evt.relatedTarget)) setOpen(moreButton, false);
    });

    function fit() {
      while (moreList.firstChild) items.appendChild(moreList.firstChild);
      more.hidden = true;
      setOpen(moreButton, false);
      if (PHONE.matches || items.scrollWidth <= items.clientWidth) return;
      more.hidden = false;
      var links = items.children;
      for (var i = links.length - 1; i > 0 && items.scrollWidth > items.clientWidth; i--) {
        moreList.insertBefore(links[i], moreList.firstChild);
      }
      moreButton.classList.toggle("current", !!moreList.querySelector("[aria-current]"));
    }

    fit();
    window.addEventListener("resize", fit);
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(fit);
    PHONE.addEventListener("change", function () {
      setOpen(toggle, false);
      fit();
    });
  }

  // --- tables: each cell labelled by its column (a card per row on phones), key-value tables -----

  function labelTable(table) {
    if (table.classList.contains("keep-table")) return;
    var head = table.tHead;
    if (!head || !head.rows.length) {
      if (table.querySelector("tbody th, tr > th + td")) table.classList.add("kvt");
      return;
    }
    var names = [];
    each(head.rows[head.rows.length - 1].cells, function (th) {
      var span = th.colSpan || 1;
      for (var k = 0; k < span; k++) names.push(th.textContent.trim());
    });
    each(table.tBodies, function (body) {
      each(body.rows, function (row) {
        var col = 0;
        each(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label")) cell.setAttribute("data-label", cell.colSpan > 1 ? "" : names[col] || "");
          col += cell.colSpan || 1;
        });
      });
    });
    table.classList.add("rt");
    var wrap = table.parentElement;
    if (wrap && wrap.classList.contains("table-wrap")) wrap.classList.add("rt-wrap");
  }

  function labelTables(scope) {
    each((scope || document).querySelectorAll("table"), labelTable);
    if (scope && scope.tagName === "TABLE") labelTable(scope);
  }

  // --- validation: a field's message goes once the person changes the field ---------------------

  function clearError(evt) {
    var field = evt.target;
    if (!field || !field.closest) return;
    var box = field.closest(".has-error");
    if (box) {
      box.classList.remove("has-error");
      each(box.querySelectorAll(".field-error"), function (p) { p.remove(); });
      each(box.querySelectorAll("[aria-invalid]"), function (el) { el.removeAttribute("aria-invalid"); });
    }
    if (field.getAttribute("aria-invalid") === "true") {
      field.removeAttribute("aria-invalid");
      (field.getAttribute("aria-describedby") || "").split(/\s+/).forEach(function (id) {
        var msg = id && document.getElementById(id);
        if (msg && msg.classList.contains("field-error")) msg.remove();
      });
      each(field.parentElement.querySelectorAll(".field-error"), function (p) { p.remove(); });
    }
  }

  // --- the login page: a demo account fills the form ---------------------------------------------

  function setupDemoLogins() {
    var list = document.querySelector(".demo-logins[data-password]");
    var user = document.getElementById("username");
    var password = document.getElementById("password");
    if (!list || !user || !password) return;
    list.addEventListener("click", function (evt) {
      var pick = evt.target.closest && evt.target.closest("button[data-username]");
      if (!pick) return;
      user.value = pick.getAttribute("data-username");
      password.value = list.getAttribute("data-password");
      each(list.querySelectorAll("button[aria-pressed]"), function (b) { b.setAttribute("aria-pressed", "false"); });
      pick.setAttribute("aria-pressed", "true");
      var submit = user.form && user.form.querySelector("button[type=submit]");
      if (submit) submit.focus();
    });
  }

  document.addEventListener("input", clearError);
  document.addEventListener("change", clearError);
  document.addEventListener("htmx:afterSwap", function (evt) { labelTables(evt.target); });
  ready(function () {
    setupNav();
    labelTables();
    setupDemoLogins();
  });
})();

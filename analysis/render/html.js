(function () {
  "use strict";
  var root = document.documentElement;
  var each = function (sel, fn) { Array.prototype.forEach.call(document.querySelectorAll(sel), fn); };
  // A cell's sort key: its data-sort or its text, read as a number when it
  // starts with one ("65536", "17.6%", "+16", "-4", "0/128", "≈ 1092/s").
  var key = function (cell) {
    var s = cell ? cell.getAttribute("data-sort") : "";
    if (s === null) { s = cell.textContent; }
    s = s.trim();
    if (s === "" || s === "-" || s === "(absent)") { return { blank: true, num: false, n: 0, s: s }; }
    var m = /^(?:[\u2248~]\s*)?([+\-\u2212]?)\s*(\d[\d,]*(?:\.\d+)?)/.exec(s);
    if (m) {
      var n = parseFloat(m[2].replace(/,/g, ""));
      return { blank: false, num: true, n: m[1] === "-" || m[1] === "\u2212" ? -n : n, s: s };
    }
    return { blank: false, num: false, n: 0, s: s.toLowerCase() };
  };
  var compare = function (a, b) {
    if (a.num && b.num) { return a.n - b.n; }
    if (a.num !== b.num) { return a.num ? -1 : 1; }
    return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
  };
  // sortBy orders a table's rows by column col: numeric columns largest
  // first on the first click, text columns A to Z; a second click reverses.
  // Blank cells stay last, ties keep their order. A row of class "sub" (a
  // host's network namespace in the fleet) moves with the row above it.
  var sortBy = function (table, th, col) {
    var body = table.tBodies[0];
    var cur = th.getAttribute("aria-sort");
    var asc = cur ? cur === "descending" : !th.classList.contains("num");
    var rows = [];
    Array.prototype.forEach.call(body.rows, function (r, i) {
      if (r.classList.contains("sub") && rows.length) { rows[rows.length - 1].subs.push(r); return; }
      rows.push({ r: r, i: i, k: key(r.cells[col]), subs: [] });
    });
    rows.sort(function (a, b) {
      if (a.k.blank !== b.k.blank) { return a.k.blank ? 1 : -1; }
      return (asc ? compare(a.k, b.k) : compare(b.k, a.k)) || a.i - b.i;
    });
    rows.forEach(function (x) {
      body.appendChild(x.r);
      x.subs.forEach(function (s) { body.appendChild(s); });
    });
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  };
  each("table.sortable", function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.tabIndex = 0;
      th.title = "Sort by this column";
      th.addEventListener("click", function () { sortBy(table, th, col); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th, col); }
      });
    });
  });
  // Expand and collapse every finding.
  each(".toolbar", function (bar) { bar.hidden = false; });
  each("button[data-details]", function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-details") === "open";
      each("details.finding", function (d) { d.open = open; });
    });
  });
  // Print every finding in full, then restore what was open.
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = [];
    each("details:not([open])", function (d) { closed.push(d); d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
    closed = [];
  });
  root.setAttribute("data-script", "ok");
})();

// The results explorer's table: keyboard moves and the selection's count. Everything here is a
// shortcut; without it the checkboxes, the bulk bar and the links work alone.
//   j / ArrowDown, k / ArrowUp: move the focus row; x: tick it; Enter: open it.
(function () {
  var WIDE = "(min-width: 901px)";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-result-table] tbody tr"));
  }

  // Keys belong to the focused control (a text box, a link, a button), except a row's own
  // checkbox: after ticking with a click, j/k still move on.
  function busy(target) {
    if (!target || target.matches("[data-result-table] input[name=ids]")) return false;
    return target.isContentEditable || /^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(target.tagName) ||
      !!target.closest("summary");
  }

  function countTicked() {
    var table = document.querySelector("[data-result-table]");
    if (!table) return;
    var boxes = table.querySelectorAll("tbody input[name=ids]");
    var ticked = 0;
    boxes.forEach(function (box) {
      box.closest("tr").classList.toggle("is-ticked", box.checked);
      if (box.checked) ticked += 1;
    });
    var out = document.querySelector("[data-bulk-ticked]");
    if (out) out.textContent = "(" + ticked + ")";
    var all = table.querySelector("[data-select-page]");
    if (all) {
      all.hidden = false;
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }

  function move(by) {
    var list = rows();
    if (!list.length) return;
    var at = list.indexOf(document.activeElement && document.activeElement.closest("[data-result-table] tbody tr"));
    var next = list[Math.max(0, Math.min(list.length - 1, at < 0 ? 0 : at + by))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || busy(event.target)) return;
    if (!document.querySelector("[data-result-table]")) return;
    var row = document.activeElement && document.activeElement.closest("[data-result-table] tbody tr");
    if (event.key === "j" || event.key === "ArrowDown") move(1);
    else if (event.key === "k" || event.key === "ArrowUp") move(-1);
    else if (event.key === "x" && row) {
      var box = row.querySelector("input[name=ids]");
      box.checked = !box.checked;
      countTicked();
    } else if (event.key === "Enter" && row && row.dataset.href) window.location.assign(row.dataset.href);
    else return;
    event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-page]")) {
      document.querySelectorAll("[data-result-table] tbody input[name=ids]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.closest("[data-result-table]")) {
      countTicked();
      // Ticking rows means "these rows", not "everything matching".
      var ids = document.querySelector("#bulk-form input[name=scope][value=ids]");
      if (ids && event.target.matches("input[name=ids], [data-select-page]")) ids.checked = true;
    }
  });

  function ready() {
    var filters = document.querySelector(".filters-panel");
    if (filters && window.matchMedia(WIDE).matches) filters.open = true;
    countTicked();
  }
  document.addEventListener("DOMContentLoaded", ready);
  document.addEventListener("htmx:afterSwap", countTicked);
})();

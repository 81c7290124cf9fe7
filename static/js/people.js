// People pages: "Select all" buttons, and shift-click to choose a range of faces.
(function () {
  "use strict";
  document.querySelectorAll("[data-select-all]").forEach(function (button) {
    var list = document.getElementById(button.getAttribute("data-select-all"));
    if (!list) { return; }
    button.addEventListener("click", function () {
      var boxes = list.querySelectorAll("input[type=checkbox]");
      var all = Array.prototype.every.call(boxes, function (box) { return box.checked; });
      boxes.forEach(function (box) { box.checked = !all; });
    });
  });
  document.querySelectorAll(".face-grid").forEach(function (grid) {
    var last = null;
    grid.addEventListener("click", function (event) {
      var box = event.target;
      if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") { return; }
      var boxes = Array.prototype.slice.call(grid.querySelectorAll("input[type=checkbox]"));
      if (event.shiftKey && last !== null) {
        var from = boxes.indexOf(last);
        var to = boxes.indexOf(box);
        boxes.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (b) { b.checked = box.checked; });
      }
      last = box;
    });
  });
})();

// Album page: put photos in your own order by dragging a tile's handle (mouse, touch or pen:
// pointer events), or with the tile's arrow buttons (keyboard). The whole order is sent to
// PUT /api/albums/{id}/order/; without this script the arrow buttons post their form instead.
(function () {
  "use strict";
  var config = document.getElementById("album-order");
  var idsScript = document.getElementById("album-order-ids");
  if (!config || !idsScript) return;
  var order = JSON.parse(idsScript.textContent);
  var csrf = document.querySelector(".album-move-form input[name=csrfmiddlewaretoken]");
  var saving = Promise.resolve();

  function tiles() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-album-photo]"));
  }

  function pageIds() {
    return tiles().map(function (tile) { return Number(tile.dataset.albumPhoto); });
  }

  // This page shows one contiguous slice of the album: put its new order into the whole.
  function mergedOrder(before, after) {
    var start = order.indexOf(before[0]);
    if (start < 0) return null;
    var merged = order.slice(0, start).concat(after, order.slice(start + before.length));
    return merged.length === order.length ? merged : null;
  }

  function failed() {
    window.alert(config.dataset.error);
    window.location.reload();
  }

  function save(before) {
    var merged = mergedOrder(before, pageIds());
    if (merged === null) { failed(); return; }
    order = merged;
    var body = JSON.stringify({ photos: merged });
    // One request at a time, in the order the moves were made.
    saving = saving.then(function () {
      return fetch(config.dataset.orderUrl, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        body: body
      }).then(function (response) {
        if (!response.ok) failed();
      }, failed);
    });
  }

  // Keyboard (and any click) on the arrow buttons: move within the page without a reload; at
  // the page's edge the form is posted and the server moves the photo onto the next page.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".album-move-form button[name=direction]");
    if (!button) return;
    var tile = button.closest("[data-album-photo]");
    var earlier = button.value === "earlier";
    var neighbour = earlier ? tile.previousElementSibling : tile.nextElementSibling;
    if (!neighbour || !neighbour.hasAttribute("data-album-photo")) return;
    event.preventDefault();
    var before = pageIds();
    tile.parentNode.insertBefore(tile, earlier ? neighbour : neighbour.nextElementSibling);
    button.focus();
    save(before);
  });

  // Dragging: the handle follows the pointer; the tile moves to where the pointer is.
  var dragged = null;
  var startIds = null;

  document.addEventListener("pointerdown", function (event) {
    var handle = event.target.closest(".album-drag-handle");
    if (!handle || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    dragged = handle.closest("[data-album-photo]");
    startIds = pageIds();
    dragged.classList.add("album-dragging");
    handle.setPointerCapture(event.pointerId);
  });

  document.addEventListener("pointermove", function (event) {
    if (!dragged) return;
    var under = document.elementFromPoint(event.clientX, event.clientY);
    var target = under && under.closest("[data-album-photo]");
    if (!target || target === dragged || target.parentNode !== dragged.parentNode) return;
    var all = tiles();
    var forward = all.indexOf(target) > all.indexOf(dragged);
    target.parentNode.insertBefore(dragged, forward ? target.nextElementSibling : target);
  });

  function drop() {
    if (!dragged) return;
    dragged.classList.remove("album-dragging");
    dragged = null;
    var now = pageIds();
    if (now.join(",") !== startIds.join(",")) save(startIds);
  }

  document.addEventListener("pointerup", drop);
  document.addEventListener("pointercancel", drop);
})();

// Select many: checkboxes on the tiles of a grid marked data-select-grid, and the "n selected" bar
// of templates/gallery/_selection_bar.html, which acts on the selection through
// POST /api/photos/bulk/ (session cookie and CSRF token; all or nothing on the server).
//
// Mouse: a tile's checkbox shows on hover; once something is selected a click toggles a tile
// instead of opening it, shift-click selects the range from the last tile toggled, and dragging
// over tiles selects (or, started on a selected one, deselects) them. Touch: a long press starts
// the selection. Keyboard: arrow keys move between tiles, space toggles, shift+arrows extend the
// selection, Ctrl+A (⌘A) selects every tile on the page, Esc clears it. Strings come from
// Django's JavaScript catalog (/jsi18n/).
(function () {
  "use strict";

  var LONG_PRESS_MS = 500;
  var UNDO_SECONDS = 12;

  function init() {
    var grid = document.querySelector("[data-select-grid]");
    var bar = document.getElementById("selection-bar");
    if (!grid || !bar) { return; }
    var api = bar.dataset.api;
    var albumsApi = bar.dataset.albumsApi;
    var albumId = bar.dataset.albumId ? Number(bar.dataset.albumId) : null;
    var csrf = bar.querySelector("input[name=csrfmiddlewaretoken]").value;
    var countLine = document.getElementById("selection-count");
    var addButton = document.getElementById("selection-add");
    var removeButton = document.getElementById("selection-remove");
    var deleteButton = document.getElementById("selection-delete");
    var clearButton = document.getElementById("selection-clear");
    var downloadForm = document.getElementById("selection-download");
    var dialog = document.getElementById("album-dialog");
    var dialogForm = document.getElementById("album-dialog-form");
    var choices = document.getElementById("album-choices");
    var choicesStatus = document.getElementById("album-choices-status");
    var newChoice = document.getElementById("album-choice-new");
    var newName = document.getElementById("album-new-name");
    var dialogError = document.getElementById("album-dialog-error");
    var dialogSubmit = document.getElementById("album-dialog-submit");
    var toastBox = document.getElementById("selection-toast");
    var toastText = document.getElementById("selection-toast-text");
    var undoButton = document.getElementById("selection-undo");

    var anchor = null; // the tile a shift-click or shift+arrow range starts from
    var rangeBase = null; // the selection before the current shift+arrow range began
    var suppressClick = false; // the click that ends a long press or a drag opens nothing
    var busy = false;
    var gone = {}; // ids moved to the trash or out of this album: hidden if a script draws them again

    // ---- the tiles and their state

    function items() {
      return Array.prototype.filter.call(grid.querySelectorAll(".tile-item"), function (item) {
        return !cell(item).hidden;
      });
    }
    function cell(item) { // what to hide with the tile (the album page wraps each tile with a form)
      return item.closest(".tile-wrap") || item;
    }
    function box(item) { return item.querySelector(".tile-check"); }
    function link(item) { return item.querySelector("a"); } // a grid tile or a search result
    function idOf(item) { return Number(box(item).value); }
    function isSelected(item) { return box(item).checked; }
    function setSelected(item, on) {
      box(item).checked = on;
      item.classList.toggle("selected", on);
    }
    function selected() { return items().filter(isSelected); }
    function selecting() { return selected().length > 0; }
    function itemOf(node) {
      var item = node && node.closest ? node.closest(".tile-item") : null;
      return item && grid.contains(item) ? item : null;
    }

    function update() {
      var count = selected().length;
      grid.classList.toggle("selecting", count > 0);
      bar.hidden = count === 0;
      countLine.textContent = count
        ? interpolate(ngettext("%s photo selected", "%s photos selected", count), [count])
        : "";
      if (!count) { anchor = null; rangeBase = null; }
    }

    function toggle(item) {
      setSelected(item, !isSelected(item));
      anchor = item;
      rangeBase = null;
      update();
    }

    // Tiles from `from` to `to` selected (`on`), the others as in `base` (or as they are).
    function selectRange(from, to, base, on) {
      var all = items();
      var a = all.indexOf(from);
      var b = all.indexOf(to);
      if (a < 0) { a = b; }
      var low = Math.min(a, b);
      var high = Math.max(a, b);
      all.forEach(function (item, i) {
        if (i >= low && i <= high) { setSelected(item, on); }
        else if (base) { setSelected(item, base.indexOf(item) >= 0); }
      });
      update();
    }

    function clearSelection() {
      items().forEach(function (item) { setSelected(item, false); });
      update();
    }

    // The tile in the row above or below (`direction` -1 or 1) nearest in x; rows by position on the
    // screen, so that grids split under date headings are walked through as one.
    function vertical(all, item, direction) {
      var here = item.getBoundingClientRect();
      var x = here.left + here.width / 2;
      var rowTop = null;
      var best = item;
      var bestDistance = Infinity;
      all.forEach(function (other) {
        var r = other.getBoundingClientRect();
        if (direction > 0 ? r.top <= here.top + 2 : r.top >= here.top - 2) { return; }
        if (rowTop === null || (direction > 0 ? r.top < rowTop - 2 : r.top > rowTop + 2)) {
          rowTop = r.top;
          bestDistance = Infinity;
        } else if (Math.abs(r.top - rowTop) > 2) {
          return;
        }
        var distance = Math.abs(r.left + r.width / 2 - x);
        if (distance < bestDistance) { best = other; bestDistance = distance; }
      });
      return best;
    }

    // ---- mouse and touch

    grid.addEventListener("click", function (event) {
      var item = itemOf(event.target);
      if (!item) { return; }
      if (event.target === box(item)) { // the checkbox has already changed
        if (suppressClick) { // a drag that came back to where it started: it chose already
          suppressClick = false;
          event.preventDefault();
          return;
        }
        if (event.shiftKey && anchor && anchor !== item) {
          selectRange(anchor, item, null, true);
        } else {
          setSelected(item, box(item).checked);
          rangeBase = null;
          update();
        }
        anchor = item;
        return;
      }
      if (!link(item).contains(event.target)) { return; }
      if (suppressClick) {
        suppressClick = false;
        event.preventDefault();
        event.stopPropagation();
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey) { return; } // a new tab, as usual
      if (!selecting() && !event.shiftKey) { return; } // open the photo
      event.preventDefault();
      event.stopPropagation(); // nothing else (a viewer) opens the photo while selecting
      if (event.shiftKey && anchor) { selectRange(anchor, item, null, true); }
      else { toggle(item); }
    }, true);

    var press = null;
    var drag = null;

    function longPress(started) {
      if (started.fired) { return; }
      window.clearTimeout(started.timer);
      started.fired = true;
      suppressClick = true;
      setSelected(started.item, true);
      anchor = started.item;
      update();
      if (navigator.vibrate) { navigator.vibrate(15); }
    }

    grid.addEventListener("pointerdown", function (event) {
      suppressClick = false;
      var item = itemOf(event.target);
      if (!item) { return; }
      if (event.pointerType === "touch") {
        var started = { item: item, x: event.clientX, y: event.clientY, fired: false };
        started.timer = window.setTimeout(function () { longPress(started); }, LONG_PRESS_MS);
        press = started;
        return;
      }
      if (event.pointerType === "mouse" && event.button === 0 && !event.shiftKey && !event.ctrlKey &&
          !event.metaKey && (selecting() || event.target === box(item))) {
        drag = { start: item, on: !isSelected(item), base: selected(), moved: false };
      }
    });

    grid.addEventListener("pointermove", function (event) {
      if (press && (Math.abs(event.clientX - press.x) > 10 || Math.abs(event.clientY - press.y) > 10)) {
        window.clearTimeout(press.timer);
        press = null;
      }
      if (!drag) { return; }
      var item = itemOf(document.elementFromPoint(event.clientX, event.clientY));
      if (!item || (item === drag.start && !drag.moved)) { return; }
      drag.moved = true;
      selectRange(drag.start, item, drag.base, drag.on);
      anchor = drag.start;
    });

    function endPress() {
      if (press) { window.clearTimeout(press.timer); press = null; }
      if (drag && drag.moved) { suppressClick = true; }
      drag = null;
    }
    document.addEventListener("pointerup", endPress);
    document.addEventListener("pointercancel", endPress);
    grid.addEventListener("contextmenu", function (event) {
      // A phone's own long-press menu may come first: the press selects, and no menu opens.
      if (press) {
        longPress(press);
        event.preventDefault();
      }
    });
    grid.addEventListener("dragstart", function (event) {
      if (drag || selecting()) { event.preventDefault(); } // dragging selects instead
    });

    // ---- keyboard

    grid.addEventListener("keydown", function (event) {
      var item = itemOf(event.target);
      if (item && (event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "a") {
        event.preventDefault(); // every tile on this page, not the page's text
        items().forEach(function (other) { setSelected(other, true); });
        update();
        return;
      }
      if (!item || event.altKey || event.ctrlKey || event.metaKey) { return; }
      var onBox = event.target === box(item);
      if (event.key === " " && !onBox) { // on the checkbox, space is the checkbox's own
        event.preventDefault();
        toggle(item);
        return;
      }
      var all = items();
      var target;
      if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        var to = all.indexOf(item) + (event.key === "ArrowLeft" ? -1 : 1);
        target = all[Math.min(all.length - 1, Math.max(0, to))];
      } else if (event.key === "ArrowUp" || event.key === "ArrowDown") {
        target = vertical(all, item, event.key === "ArrowUp" ? -1 : 1);
      } else {
        return;
      }
      event.preventDefault();
      (onBox ? box(target) : link(target)).focus();
      if (!event.shiftKey) { rangeBase = null; return; }
      if (rangeBase === null) {
        rangeBase = selected();
        anchor = item;
      }
      selectRange(anchor, target, rangeBase, true);
    });

    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || dialog.open || !selecting()) { return; }
      var focused = itemOf(document.activeElement);
      clearSelection();
      if (!focused) { // the focus was in the bar, now hidden: back to the grid
        var first = items()[0];
        if (first) { link(first).focus(); }
      }
    });

    clearButton.addEventListener("click", function () {
      var back = anchor || items()[0];
      clearSelection();
      if (back) { link(back).focus(); }
    });

    // ---- talking to the server

    function errorText(status, data) {
      if (status === 404) {
        return gettext("Some of these photos or albums are no longer there. Reload the page and try again.");
      }
      if (data && typeof data.detail === "string") { return data.detail; }
      if (data && typeof data === "object") {
        for (var key in data) {
          if (Array.isArray(data[key]) && typeof data[key][0] === "string") { return data[key][0]; }
        }
      }
      return gettext("Something went wrong. Try again.");
    }

    function request(url, options) {
      return fetch(url, options).then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (!response.ok) { throw new Error(errorText(response.status, data)); }
          return data;
        });
      }, function () {
        throw new Error(gettext("The server could not be reached. Check your connection and try again."));
      });
    }

    function bulk(body) {
      return request(api, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body),
      });
    }

    function setBusy(on) {
      busy = on;
      bar.setAttribute("aria-busy", on ? "true" : "false");
      [addButton, removeButton, deleteButton, undoButton, dialogSubmit].forEach(function (button) {
        if (button) { button.disabled = on; }
      });
    }

    function run(work) {
      if (busy) { return; }
      setBusy(true);
      work().catch(function (error) { showToast(error.message, null, true); }).then(function () {
        setBusy(false);
      });
    }

    // ---- the toast (what happened, with Undo)

    var toastTimer = null;
    var undoAction = null;

    function hideToast() {
      if (toastBox.matches(":hover, :focus-within")) { // still being read or used
        toastTimer = window.setTimeout(hideToast, 2000);
        return;
      }
      toastBox.hidden = true;
      undoAction = null;
    }

    function showToast(text, undo, isError) {
      toastText.textContent = text;
      toastBox.classList.toggle("error", Boolean(isError));
      toastBox.setAttribute("role", isError ? "alert" : "status");
      undoAction = undo;
      undoButton.hidden = !undo;
      toastBox.hidden = false;
      window.clearTimeout(toastTimer);
      toastTimer = window.setTimeout(hideToast, (undo ? UNDO_SECONDS : 6) * 1000);
      if (undo) { undoButton.focus(); }
    }

    undoButton.addEventListener("click", function () {
      var undo = undoAction;
      if (!undo) { return; }
      undoAction = null;
      run(undo);
    });

    function adjustCount(delta) { // the page title's photo count
      var count = document.querySelector(".toolbar h1 .count");
      var value = count ? Number(count.textContent) : NaN;
      if (isFinite(value)) { count.textContent = String(Math.max(0, value + delta)); }
    }

    function hideTiles(list) {
      list.forEach(function (item) { setSelected(item, false); cell(item).hidden = true; gone[idOf(item)] = true; });
      adjustCount(-list.length);
      update();
    }

    function showTiles(list) {
      var ids = {};
      list.forEach(function (item) { ids[idOf(item)] = true; delete gone[idOf(item)]; });
      var shown = Array.prototype.filter.call(grid.querySelectorAll(".tile-item"), function (item) {
        return ids[idOf(item)]; // the same tiles, or the same photos drawn again since (search)
      });
      shown.forEach(function (item) { cell(item).hidden = false; });
      adjustCount(list.length);
      if (shown.length) { link(shown[0]).focus(); }
    }

    // Delete: to the trash, with Undo (restore).
    deleteButton.addEventListener("click", function () {
      var chosen = selected();
      var ids = chosen.map(idOf);
      if (!ids.length) { return; }
      run(function () {
        return bulk({ action: "trash", photos: ids }).then(function (data) {
          hideTiles(chosen);
          var text = interpolate(ngettext("%s photo moved to the trash.", "%s photos moved to the trash.",
            data.changed), [data.changed]);
          showToast(text, function () {
            return bulk({ action: "restore", photos: ids }).then(function (restored) {
              showTiles(chosen);
              showToast(interpolate(ngettext("%s photo restored.", "%s photos restored.", restored.changed),
                [restored.changed]), null);
            });
          });
        });
      });
    });

    // Remove from this album (album page only), with Undo (add them back).
    if (removeButton && albumId !== null) {
      removeButton.addEventListener("click", function () {
        var chosen = selected();
        var ids = chosen.map(idOf);
        if (!ids.length) { return; }
        run(function () {
          return bulk({ action: "remove_from_album", album: albumId, photos: ids }).then(function (data) {
            hideTiles(chosen);
            var text = interpolate(ngettext("%s photo removed from the album.",
              "%s photos removed from the album.", data.changed), [data.changed]);
            showToast(text, function () {
              return bulk({ action: "add_to_album", album: albumId, photos: ids }).then(function () {
                showTiles(chosen);
                toastBox.hidden = true;
              });
            });
          });
        });
      });
    }

    // Download: the selected ids posted to the zip download.
    if (downloadForm) {
      downloadForm.addEventListener("submit", function (event) {
        var ids = selected().map(idOf);
        if (!ids.length) { event.preventDefault(); return; }
        downloadForm.querySelectorAll("input[name=photos]").forEach(function (input) { input.remove(); });
        ids.forEach(function (id) {
          var input = document.createElement("input");
          input.type = "hidden";
          input.name = "photos";
          input.value = String(id);
          downloadForm.appendChild(input);
        });
      });
    }

    // ---- Add to album: a dialog listing the user's albums, or a new one

    function loadAlbums(url, albums, pagesLeft) {
      return request(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (data) {
          albums = albums.concat(data.results || []);
          return data.next && pagesLeft > 1 ? loadAlbums(data.next, albums, pagesLeft - 1) : albums;
        });
    }

    function showDialogError(text) {
      dialogError.textContent = text || "";
      dialogError.hidden = !text;
    }

    function fillChoices(albums) {
      choices.querySelectorAll(".album-choice-existing").forEach(function (label) { label.remove(); });
      var newLabel = newChoice.closest("label");
      albums.forEach(function (album) {
        var label = document.createElement("label");
        label.className = "album-choice album-choice-existing";
        var radio = document.createElement("input");
        radio.type = "radio";
        radio.name = "album";
        radio.value = String(album.id);
        label.appendChild(radio);
        label.appendChild(document.createTextNode(" " + album.name + " "));
        var count = document.createElement("span");
        count.className = "muted small";
        count.textContent = interpolate(ngettext("%s photo", "%s photos", album.photo_count), [album.photo_count]);
        label.appendChild(count);
        choices.insertBefore(label, newLabel);
      });
      choicesStatus.hidden = albums.length > 0;
      choicesStatus.textContent = albums.length ? "" : gettext("You have no albums yet: name a new one.");
      var first = choices.querySelector("input[type=radio]");
      (albums.length ? first : newChoice).checked = true;
      (albums.length ? first : newName).focus();
    }

    addButton.addEventListener("click", function () {
      showDialogError("");
      newName.value = "";
      choicesStatus.hidden = false;
      choicesStatus.textContent = gettext("Loading your albums…");
      dialog.showModal();
      loadAlbums(albumsApi, [], 20).then(fillChoices, function (error) {
        choicesStatus.textContent = error.message;
        newChoice.checked = true;
      });
    });

    newName.addEventListener("input", function () { newChoice.checked = true; });
    document.getElementById("album-dialog-cancel").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      if (addButton.isConnected && !bar.hidden) { addButton.focus(); }
    });

    dialogForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = selected();
      var ids = chosen.map(idOf);
      var picked = dialogForm.querySelector("input[name=album]:checked");
      var body = { action: "add_to_album", photos: ids };
      if (!picked) { showDialogError(gettext("Choose an album.")); return; }
      if (picked === newChoice) {
        if (!newName.value.trim()) {
          showDialogError(gettext("Give the new album a name."));
          newName.focus();
          return;
        }
        body.new_album = newName.value;
      } else {
        body.album = Number(picked.value);
      }
      showDialogError("");
      run(function () {
        return bulk(body).then(function (data) {
          dialog.close();
          clearSelection();
          var back = chosen[0];
          if (back) { link(back).focus(); }
          showToast(interpolate(ngettext("Added %(count)s photo to “%(name)s”.",
            "Added %(count)s photos to “%(name)s”.", data.requested),
            { count: data.requested, name: data.album.name }, true), null);
        }, function (error) {
          showDialogError(error.message);
        });
      });
    });

    // Tiles drawn by a script (search results) come and go: the bar follows what is there.
    new MutationObserver(function () {
      grid.querySelectorAll(".tile-item").forEach(function (item) {
        if (gone[idOf(item)]) { cell(item).hidden = true; }
      });
      update();
    }).observe(grid, { childList: true });
    update();
  }

  // After every deferred script (the JavaScript catalog is loaded after this one).
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();

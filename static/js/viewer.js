// The full-screen viewer, enhanced: ←/→ (and a swipe on touch screens) step to the photo before
// or after without reloading the page, Esc closes it. The page works without this script (its
// links are the same steps); here the next photo is shown at once from what the server sent
// (its neighbours, preloaded), the URL follows with pushState (so Back steps back and a reload
// reopens the same photo in the same order), then the new photo's neighbours are asked from
// /api/photos/<id>/viewer/ with the same order context. Steps taken faster than the answers
// come are queued, never skipped.
// Strings: gettext and interpolate from Django's JavaScript catalog (/jsi18n/).
(function () {
  "use strict";

  var viewer = document.getElementById("viewer");
  var dataNode = document.getElementById("viewer-data");
  if (!viewer || !dataNode) return;

  var image = document.getElementById("viewer-image");
  var stage = document.getElementById("viewer-stage");
  var title = document.getElementById("viewer-title");
  var name = document.getElementById("viewer-name");
  var position = document.getElementById("viewer-position");
  var closeLink = document.getElementById("viewer-close");
  var infoLink = document.getElementById("viewer-info");
  var downloadLink = document.getElementById("viewer-download");
  var links = { previous: document.getElementById("viewer-prev"), next: document.getElementById("viewer-next") };
  var apiPattern = viewer.dataset.api; // ".../photos/0/viewer/"

  var place = JSON.parse(dataNode.textContent);
  var places = new Map(); // photo id → what the server said about it (Back shows it at once)
  var preloaded = new Map(); // display URL → Image, kept so the browser keeps loading it
  var queue = Promise.resolve();
  var siteTitle = document.title.slice(document.title.lastIndexOf(" · "));

  function apiUrl(photoId) {
    return apiPattern.replace(/\/0\/viewer\/$/, "/" + photoId + "/viewer/") + place.query;
  }

  function preload(photo) {
    if (!photo || preloaded.has(photo.display_url)) return;
    var img = new Image();
    img.decoding = "async";
    img.src = photo.display_url;
    preloaded.set(photo.display_url, img);
    if (preloaded.size > 8) preloaded.delete(preloaded.keys().next().value);
  }

  function setLink(link, photo) {
    if (photo) {
      link.href = photo.view_url;
      link.hidden = false;
      link.removeAttribute("aria-disabled");
    } else {
      // Focus on a link about to hide moves to the stage, not to the page's start.
      if (document.activeElement === link) viewer.focus();
      link.removeAttribute("href");
      link.hidden = true;
      link.setAttribute("aria-disabled", "true");
    }
  }

  function showPhoto(photo) {
    if (image.dataset.photoId !== String(photo.id)) {
      image.removeAttribute("src"); // no stretched old photo while the new one decodes
      image.width = photo.width;
      image.height = photo.height;
      image.src = photo.display_url;
      image.alt = photo.title;
      image.dataset.photoId = String(photo.id);
    }
    title.textContent = photo.title;
    name.textContent = photo.title;
    document.title = photo.title + siteTitle;
    infoLink.href = photo.info_url;
    downloadLink.href = photo.download_url;
  }

  // Everything about the current photo once its own answer (or the page's data) is known.
  function showPlace(data) {
    place = data;
    places.set(data.photo.id, data);
    showPhoto(data.photo);
    position.textContent = interpolate(gettext("%(position)s of %(count)s"),
      { position: data.position, count: data.count }, true);
    closeLink.href = data.close_url;
    setLink(links.previous, data.previous);
    setLink(links.next, data.next);
    preload(data.next);
    preload(data.previous);
  }

  function load(photoId) {
    return fetch(apiUrl(photoId), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
  }

  // Shows `photoId` (a neighbour known in part, or a photo seen before) and then what the server
  // says about it; if it cannot answer (the photo was deleted meanwhile), the page itself loads.
  function open(photoId, partial, viewUrl) {
    var known = places.get(photoId);
    if (known) {
      showPlace(known);
      return Promise.resolve();
    }
    if (partial) showPhoto(partial);
    // (replace: the step already has its history entry)
    return load(photoId).then(showPlace, function () { window.location.replace(viewUrl); });
  }

  function step(direction) {
    queue = queue.then(function () {
      var target = place[direction];
      if (!target) return undefined;
      history.pushState({ viewerPhoto: target.id }, "", target.view_url);
      return open(target.id, target, target.view_url);
    });
  }

  function close() {
    window.location.assign(place.close_url);
  }

  history.replaceState({ viewerPhoto: place.photo.id }, "", location.href);
  showPlace(place);

  window.addEventListener("popstate", function (event) {
    var photoId = event.state && event.state.viewerPhoto;
    if (!photoId) {
      window.location.reload();
      return;
    }
    queue = queue.then(function () { return open(photoId, null, location.href); });
  });

  links.previous.addEventListener("click", function (event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    step("previous");
  });
  links.next.addEventListener("click", function (event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    step("next");
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    if (event.key === "ArrowLeft") {
      event.preventDefault();
      step("previous");
    } else if (event.key === "ArrowRight") {
      event.preventDefault();
      step("next");
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });

  // A horizontal swipe steps (right to left: the next photo); a mostly vertical one does nothing.
  var touch = null;
  stage.addEventListener("touchstart", function (event) {
    touch = event.touches.length === 1 ? { x: event.touches[0].clientX, y: event.touches[0].clientY } : null;
  }, { passive: true });
  stage.addEventListener("touchend", function (event) {
    if (!touch || event.changedTouches.length !== 1) return;
    var dx = event.changedTouches[0].clientX - touch.x;
    var dy = event.changedTouches[0].clientY - touch.y;
    touch = null;
    if (Math.abs(dx) < 50 || Math.abs(dx) < 1.5 * Math.abs(dy)) return;
    step(dx < 0 ? "next" : "previous");
  });
})();

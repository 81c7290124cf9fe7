// Search by face. A photo goes to the server once: it answers the faces found, a preview (so HEIC
// and TIFF show in any browser) and a short-lived query id kept in the URL (?q=), so the results
// survive Back and reload and another face is searched without sending the photo again. Results
// come down to the loose strictness; the slider filters them here, without asking the server.
// Strings: gettext, ngettext and interpolate from Django's JavaScript catalog (base.html loads
// /jsi18n/ before every page script).
(function () {
  "use strict";

  var app = document.getElementById("search-app");
  if (!app) return;
  var api = app.dataset.api;
  var csrf = app.querySelector("input[name=csrfmiddlewaretoken]").value;
  var fileInput = document.getElementById("search-file");
  var drop = document.getElementById("search-drop");
  var stage = document.getElementById("query-stage");
  var queryImage = document.getElementById("query-image");
  var help = document.getElementById("query-help");
  var strictnessBox = document.getElementById("strictness-box");
  var slider = document.getElementById("strictness");
  var sliderValue = document.getElementById("strictness-value");
  var statusLine = document.getElementById("search-status");
  var progress = document.getElementById("search-progress");
  var grid = document.getElementById("search-results");

  var STOPS = ["loose", "default", "strict"];
  var STOP_NAMES = [gettext("Loose"), gettext("Default"), gettext("Strict")];
  var LIMIT = 1000; // the API's maximum; the slider only ever narrows these down
  var state = { queryId: null, faceId: null, faceIndex: null, data: null };
  var request = null;
  // Back from a result: the page comes back with its query; focus returns to the result opened
  // (named in the history entry, or as #photo-<id> by the viewer's close link).
  var closedAt = /^#photo-(\d+)$/.exec(location.hash);
  var opened = history.state && history.state.opened ? String(history.state.opened)
    : closedAt ? closedAt[1] : null;

  var initialStop = STOPS.indexOf(app.dataset.strictness);
  slider.value = String(initialStop >= 0 ? initialStop : 1);

  function setStatus(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error-text", Boolean(isError));
  }

  function pct(value, total) { return (100 * value / total).toFixed(3) + "%"; }

  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 1 });
  function percent(similarity) {
    return numbers.format(Math.round(similarity * 1000) / 10) + "%";
  }

  function place(el, box, width, height) {
    el.style.left = pct(box[0], width);
    el.style.top = pct(box[1], height);
    el.style.width = pct(box[2] - box[0], width);
    el.style.height = pct(box[3] - box[1], height);
  }

  function stop() { return STOPS[Number(slider.value)] || "default"; }

  function rememberInUrl() {
    var params = new URLSearchParams();
    if (state.faceId) {
      params.set("face_id", state.faceId);
    } else if (state.queryId) {
      params.set("q", state.queryId);
      if (state.faceIndex !== null) params.set("face", String(state.faceIndex));
    }
    if (stop() !== "default") params.set("strictness", stop());
    var search = params.toString();
    history.replaceState(null, "", search ? "?" + search : location.pathname);
  }

  // The full-screen viewer steps through these results in this order: it is told the query.
  function viewerQuery() {
    var params = new URLSearchParams();
    if (state.faceId) {
      params.set("face_id", state.faceId);
    } else {
      params.set("search", state.queryId);
      if (state.faceIndex !== null) params.set("face", String(state.faceIndex));
    }
    if (stop() !== "default") params.set("strictness", stop());
    return "?" + params.toString();
  }

  function drawQueryFaces(data) {
    // The buttons are drawn again after each answer: a face that had the focus keeps it.
    var active = document.activeElement;
    var focused = active && active.classList.contains("query-face") ? active.dataset.index : null;
    stage.querySelectorAll(".query-face").forEach(function (el) { el.remove(); });
    var query = data.query;
    if (!query) return;
    var faces = data.query_faces || [];
    faces.forEach(function (face) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "face-box query-face";
      button.dataset.index = String(face.index);
      button.classList.toggle("used", face.used);
      button.setAttribute("aria-pressed", face.used ? "true" : "false");
      button.setAttribute("aria-label", interpolate(
        face.used ? gettext("Face %s of %s (searching for this face)") : gettext("Face %s of %s: search for this face"),
        [face.index + 1, faces.length]));
      button.title = button.getAttribute("aria-label");
      place(button, face.box, query.width, query.height);
      button.addEventListener("click", function () {
        if (face.used) return;
        state.faceIndex = face.index;
        search({ query_id: state.queryId, face_index: face.index });
      });
      stage.appendChild(button);
      if (focused === String(face.index)) button.focus();
    });
    help.hidden = faces.length < 2;
  }

  function renderResults() {
    var data = state.data;
    var min = data.thresholds[stop()];
    var hits = data.results.filter(function (hit) { return hit.similarity >= min; });
    sliderValue.textContent = interpolate(gettext("%s: a similarity of %s or more"),
      [STOP_NAMES[Number(slider.value)], percent(min)]);
    slider.setAttribute("aria-valuetext", sliderValue.textContent);
    grid.replaceChildren();
    hits.forEach(function (hit) {
      var photo = hit.photo;
      var tile = document.createElement("a");
      tile.className = "result-tile";
      tile.href = "/photos/" + photo.id + "/view/" + viewerQuery();
      tile.dataset.photoId = photo.id;
      tile.addEventListener("click", function () {
        history.replaceState({ opened: photo.id }, "", location.href);
      });
      var frame = document.createElement("span");
      frame.className = "result-frame";
      frame.style.aspectRatio = photo.width + " / " + photo.height;
      var img = document.createElement("img");
      img.loading = "lazy";
      img.src = photo.thumbnail_url;
      img.alt = photo.title || photo.original_filename || gettext("Photo");
      frame.appendChild(img);
      var box = document.createElement("span");
      box.className = "face-box result-face";
      place(box, hit.face.box, photo.width, photo.height);
      frame.appendChild(box);
      tile.appendChild(frame);
      var label = document.createElement("span");
      label.className = "similarity";
      label.textContent = interpolate(gettext("%s match"), [percent(hit.similarity)]);
      if (hit.face.person && hit.face.person.name) {
        var who = document.createElement("strong");
        who.className = "result-person";
        who.textContent = hit.face.person.name + " · ";
        label.prepend(who);
      }
      tile.appendChild(label);
      // A checkbox to select the photo (static/js/select.js and the bar act on the selection).
      var item = document.createElement("div");
      item.className = "tile-item";
      var check = document.createElement("input");
      check.type = "checkbox";
      check.className = "tile-check";
      check.value = String(photo.id);
      check.setAttribute("aria-label", interpolate(gettext("Select %s"), [img.alt]));
      item.appendChild(check);
      item.appendChild(tile);
      grid.appendChild(item);
    });
    var n = hits.length;
    if (n === 0) {
      var looser = data.results.length - n;
      setStatus(looser > 0
        ? interpolate(ngettext("No photo at this strictness; %s more at a looser one.",
          "No photo at this strictness; %s more at a looser one.", looser), [looser])
        : gettext("No photo of this person in your library."));
    } else {
      var text = interpolate(ngettext("%s photo shows this person.", "%s photos show this person.", n), [n]);
      if (data.results.length >= LIMIT) {
        text += " " + interpolate(gettext("(Only the %s closest photos are shown.)"), [numbers.format(LIMIT)]);
      }
      setStatus(text);
    }
  }

  function errorMessage(xhr) {
    var data = xhr.response;
    if (xhr.status === 0) return gettext("The server could not be reached. Try again.");
    if (data && typeof data === "object") {
      if (data.detail) return String(data.detail);
      var fields = ["image", "query_id", "face_id", "face_index", "non_field_errors"];
      for (var i = 0; i < fields.length; i++) {
        if (data[fields[i]]) return [].concat(data[fields[i]]).join(" ");
      }
    }
    if (xhr.status === 413) return gettext("The file is too large.");
    return interpolate(gettext("Search failed (HTTP %s)."), [xhr.status]);
  }

  function showError(xhr, keepQuery, previous) {
    if (previous && previous.data) {
      // Another face or a reload of the same query failed: what was shown stays, with the error.
      state.data = previous.data;
      state.faceIndex = previous.faceIndex;
      drawQueryFaces(previous.data);
      renderResults();
      rememberInUrl();
      setStatus(errorMessage(xhr), true);
      return;
    }
    grid.replaceChildren();
    state.data = null;
    strictnessBox.hidden = true;
    if (!keepQuery) {
      stage.hidden = true;
      help.hidden = true;
      state.queryId = null;
      rememberInUrl();
    }
    setStatus(errorMessage(xhr), true);
  }

  // One search at a time: a newer one (another photo, another face) replaces the one in flight.
  function search(payload, file) {
    if (request) request.abort();
    var previous = file ? null : { data: state.data, faceIndex: state.faceIndex };
    var xhr = new XMLHttpRequest();
    request = xhr;
    xhr.open("POST", api);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.responseType = "json";
    var body;
    if (file) {
      body = new FormData();
      body.append("image", file);
      body.append("strictness", "loose");
      body.append("limit", String(LIMIT));
    } else {
      payload.strictness = "loose";
      payload.limit = LIMIT;
      body = JSON.stringify(payload);
      xhr.setRequestHeader("Content-Type", "application/json");
    }
    var bar = progress.querySelector("span");
    progress.hidden = !file;
    bar.style.width = "0";
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) bar.style.width = pct(e.loaded, e.total);
      if (e.lengthComputable && e.loaded === e.total) setStatus(gettext("Looking for faces…"));
    };
    xhr.onload = function () {
      if (request !== xhr) return;
      request = null;
      progress.hidden = true;
      if (xhr.status !== 200 || !xhr.response) {
        showError(xhr, Boolean(payload && payload.query_id && !file), previous);
        return;
      }
      var data = xhr.response;
      state.data = data;
      if (data.query) {
        state.queryId = data.query.id;
        var used = (data.query_faces || []).filter(function (f) { return f.used; })[0];
        state.faceIndex = used ? used.index : null;
        if (queryImage.getAttribute("src") !== data.query.preview_url) queryImage.src = data.query.preview_url;
        stage.hidden = false;
        drawQueryFaces(data);
      }
      strictnessBox.hidden = false;
      rememberInUrl();
      renderResults();
      if (opened) {
        var back = grid.querySelector('[data-photo-id="' + opened + '"]');
        opened = null;
        if (back) back.focus();
      }
    };
    xhr.onerror = function () {
      if (request !== xhr) return;
      request = null;
      progress.hidden = true;
      showError(xhr, true, previous);
    };
    setStatus(file ? gettext("Sending the photo…") : gettext("Searching…"));
    xhr.send(body);
  }

  function useFile(file) {
    if (!file) return;
    state = { queryId: null, faceId: null, faceIndex: null, data: null };
    grid.replaceChildren();
    stage.hidden = true;
    help.hidden = true;
    stage.querySelectorAll(".query-face").forEach(function (el) { el.remove(); });
    queryImage.removeAttribute("src");
    search(null, file);
  }

  // The whole drop area opens the chooser (the button is the keyboard's way in).
  drop.addEventListener("click", function (e) {
    if (e.target !== fileInput) fileInput.click();
  });
  fileInput.addEventListener("change", function () {
    useFile(fileInput.files[0]);
    fileInput.value = ""; // choosing the same file again searches again
  });
  ["dragenter", "dragover"].forEach(function (name) {
    app.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    app.addEventListener(name, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  app.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) useFile(e.dataTransfer.files[0]);
  });
  slider.addEventListener("input", function () {
    rememberInUrl();
    if (state.data) renderResults();
  });

  app.dataset.ready = "1"; // the controls above are live

  if (app.dataset.faceId) {
    state.faceId = app.dataset.faceId;
    stage.hidden = false;
    queryImage.src = "/faces/" + app.dataset.faceId + "/crop.jpg";
    search({ face_id: Number(app.dataset.faceId) });
  } else if (app.dataset.queryId) {
    state.queryId = app.dataset.queryId;
    var payload = { query_id: state.queryId };
    if (app.dataset.faceIndex !== "") payload.face_index = Number(app.dataset.faceIndex);
    search(payload);
  }
})();

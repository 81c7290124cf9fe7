// Upload page: drop or pick many files; each goes up in its own request to POST /api/photos/
// with its own progress bar, so a bad file fails alone with the API's message.
// Strings: gettext, ngettext and interpolate from Django's JavaScript catalog (base.html loads
// /jsi18n/ before every page script).
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var input = document.getElementById("file-input");
  var zone = document.getElementById("dropzone");
  var list = document.getElementById("upload-list");
  var done = document.getElementById("upload-done");
  var apiUrl = form.getAttribute("data-api-url");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var queue = [];
  var active = 0;
  var PARALLEL = 3;
  var finished = 0;
  var succeeded = 0;

  function inBytes(n) { return interpolate(ngettext("%s byte", "%s bytes", n), [n.toLocaleString()]); }

  // As Django's filesizeformat: bytes below 1 KB, then one decimal of KB, MB or GB.
  function humanSize(n) {
    if (n < 1024) { return inBytes(n); }
    if (n < 1024 * 1024) { return (n / 1024).toFixed(1) + " KB"; }
    if (n < 1024 * 1024 * 1024) { return (n / (1024 * 1024)).toFixed(1) + " MB"; }
    return (n / (1024 * 1024 * 1024)).toFixed(1) + " GB";
  }

  // Exact: when the two sizes round alike, they are given in bytes.
  function tooLarge(size, limit) {
    var shown = humanSize(size);
    var allowed = humanSize(limit);
    if (shown === allowed) {
      shown = inBytes(size);
      allowed = inBytes(limit) + " (" + allowed + ")";
    }
    return interpolate(gettext("The file is too large: %s is over the limit of %s."), [shown, allowed]);
  }

  function errorMessage(xhr) {
    var data = null;
    try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
    if (data && typeof data === "object") {
      if (typeof data.detail === "string") { return data.detail; }
      for (var key in data) {
        if (Object.prototype.hasOwnProperty.call(data, key)) {
          var value = data[key];
          if (Array.isArray(value) && value.length) { return String(value[0]); }
          if (typeof value === "string") { return value; }
        }
      }
    }
    if (xhr.status === 413) { return gettext("The file is too large."); }
    if (xhr.status === 0) { return gettext("The connection was lost. Try again."); }
    return interpolate(gettext("Upload failed (HTTP %s)."), [xhr.status]);
  }

  function row(file) {
    var li = document.createElement("li");
    li.className = "upload-item";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var size = document.createElement("span");
    size.className = "muted upload-size";
    size.textContent = humanSize(file.size);
    var bar = document.createElement("div");
    bar.className = "progress";
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    var fill = document.createElement("span");
    bar.appendChild(fill);
    var status = document.createElement("span");
    status.className = "upload-status muted";
    status.textContent = gettext("Waiting…");
    li.appendChild(name);
    li.appendChild(size);
    li.appendChild(bar);
    li.appendChild(status);
    list.appendChild(li);
    return { li: li, bar: bar, fill: fill, status: status };
  }

  function setProgress(item, percent) {
    item.fill.style.width = percent + "%";
    item.bar.setAttribute("aria-valuenow", String(percent));
  }

  // What face detection made of an uploaded photo: inline indexing answers in the same request,
  // a background worker leaves it pending. A failed one is stored but search cannot find it yet.
  function outcome(photo) {
    var status = photo.index_status;
    if (status === "indexed") {
      var n = photo.face_count || 0;
      return { tone: "ok", text: interpolate(ngettext("Uploaded · %s face found", "Uploaded · %s faces found", n), [n]) };
    }
    if (status === "no_faces") { return { tone: "ok", text: gettext("Uploaded · no face found") }; }
    if (status === "failed") {
      return {
        tone: "warn",
        text: interpolate(gettext("Uploaded, but face detection failed: %s. Open it to retry."), [photo.index_error || "?"])
      };
    }
    return { tone: "ok", text: gettext("Uploaded · looking for faces…") };
  }

  function finish(item, ok, message, link, tone) {
    item.li.classList.add(ok ? "ok" : "error");
    item.bar.classList.add(ok ? "ok" : "error");
    setProgress(item, 100);
    item.status.textContent = "";
    item.status.className = "upload-status " + (tone || (ok ? "ok" : "error"));
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = message;
      item.status.appendChild(a);
    } else {
      item.status.textContent = message;
    }
    finished += 1;
    if (ok) { succeeded += 1; }
    active -= 1;
    if (finished === list.children.length && succeeded > 0) { done.hidden = false; }
    next();
  }

  // The same bytes are in the user's trash: one click puts that photo back (POST /api/trash/restore/).
  function offerRestore(item, photoId) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small secondary upload-restore";
    button.textContent = gettext("Restore");
    button.addEventListener("click", function () {
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/trash/restore/");
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.addEventListener("load", function () {
        item.status.textContent = "";
        item.status.className = "upload-status " + (xhr.status === 200 ? "ok" : "error");
        var a = document.createElement("a");
        a.href = "/photos/" + photoId + "/";
        a.textContent = xhr.status === 200 ? gettext("Restored from the trash.") : errorMessage(xhr);
        item.status.appendChild(a);
      });
      xhr.addEventListener("error", function () { button.disabled = false; });
      xhr.send(JSON.stringify({ photos: [photoId] }));
    });
    item.status.appendChild(document.createTextNode(" "));
    item.status.appendChild(button);
  }

  function send(job) {
    var item = job.item;
    var file = job.file;
    active += 1;
    if (maxBytes && file.size > maxBytes) {
      finish(item, false, tooLarge(file.size, maxBytes));
      return;
    }
    var data = new FormData();
    data.append("image", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", apiUrl);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        setProgress(item, Math.round((event.loaded / event.total) * 95));
        item.status.textContent = gettext("Uploading…");
      }
    });
    xhr.upload.addEventListener("load", function () { item.status.textContent = gettext("Processing…"); });
    xhr.addEventListener("load", function () {
      if (xhr.status === 201) {
        var photo = JSON.parse(xhr.responseText);
        var result = outcome(photo);
        item.li.setAttribute("data-index-status", photo.index_status);
        finish(item, true, result.text, "/photos/" + photo.id + "/", result.tone);
      } else if (xhr.status === 409) {
        // Already in the library: nothing lost; the message links to the photo you have.
        var existing = null;
        var inTrash = false;
        try {
          var body = JSON.parse(xhr.responseText);
          existing = body.existing_id;
          inTrash = body.in_trash === true;
        } catch (e) { existing = null; }
        finish(item, false, errorMessage(xhr), existing ? "/photos/" + existing + "/" : null, "warn");
        if (existing && inTrash) { offerRestore(item, existing); }
      } else {
        finish(item, false, errorMessage(xhr));
      }
    });
    xhr.addEventListener("error", function () { finish(item, false, errorMessage(xhr)); });
    xhr.send(data);
  }

  function next() {
    while (active < PARALLEL && queue.length) { send(queue.shift()); }
  }

  function add(files) {
    for (var i = 0; i < files.length; i += 1) {
      queue.push({ file: files[i], item: row(files[i]) });
    }
    done.hidden = true;
    next();
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); });
  input.addEventListener("change", function () {
    add(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.remove("over");
    });
  });
  zone.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) { add(event.dataTransfer.files); }
  });
  // Dropping outside the zone must not navigate away from the page.
  window.addEventListener("dragover", function (event) { event.preventDefault(); });
  window.addEventListener("drop", function (event) { event.preventDefault(); });
})();

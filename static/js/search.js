// Search by face: upload a query photo (or start from one of your faces), pick a face, browse matches.
(function () {
  "use strict";
  const app = document.getElementById("search-app");
  if (!app) return;
  const api = app.dataset.api;
  const csrf = app.querySelector("input[name=csrfmiddlewaretoken]").value;
  const fileInput = document.getElementById("search-file");
  const drop = document.getElementById("search-drop");
  const stage = document.getElementById("query-stage");
  const queryImage = document.getElementById("query-image");
  const help = document.getElementById("query-help");
  const slider = document.getElementById("threshold");
  const sliderValue = document.getElementById("threshold-value");
  const statusLine = document.getElementById("search-status");
  const progress = document.getElementById("search-progress");
  const grid = document.getElementById("search-results");

  let query = null; // {file} or {faceId}
  let faceIndex = null;
  let userMovedSlider = false;
  let timer = null;

  function setStatus(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error-text", Boolean(isError));
  }

  function pct(value, total) { return (100 * value / total).toFixed(3) + "%"; }

  function boxElement(box, width, height, className) {
    const el = document.createElement("span");
    el.className = className;
    el.style.left = pct(box[0], width);
    el.style.top = pct(box[1], height);
    el.style.width = pct(box[2] - box[0], width);
    el.style.height = pct(box[3] - box[1], height);
    return el;
  }

  function drawQueryFaces(faces) {
    stage.querySelectorAll(".face-box").forEach((el) => el.remove());
    if (!queryImage.naturalWidth) return;
    faces.forEach((face) => {
      const el = boxElement(face.box, queryImage.naturalWidth, queryImage.naturalHeight, "face-box query-face");
      el.classList.toggle("used", face.used);
      el.title = face.used ? "Searching for this face" : "Search for this face instead";
      el.addEventListener("click", (event) => {
        event.preventDefault();
        faceIndex = face.index;
        run();
      });
      stage.appendChild(el);
    });
    help.hidden = faces.length < 2;
  }

  function renderResults(data) {
    grid.replaceChildren();
    data.results.forEach((hit) => {
      const photo = hit.photo;
      const tile = document.createElement("a");
      tile.className = "result-tile";
      tile.href = "/photos/" + photo.id + "/";
      tile.dataset.photoId = photo.id;
      const frame = document.createElement("span");
      frame.className = "result-frame";
      frame.style.aspectRatio = photo.width + " / " + photo.height;
      const img = document.createElement("img");
      img.loading = "lazy";
      img.src = photo.thumbnail_url;
      img.alt = photo.title || "Photo";
      frame.appendChild(img);
      frame.appendChild(boxElement(hit.face.box, photo.width, photo.height, "face-box result-face"));
      tile.appendChild(frame);
      const label = document.createElement("span");
      label.className = "similarity";
      label.textContent = Math.round(hit.similarity * 100) + "% match";
      if (hit.face.person && hit.face.person.name) {
        const who = document.createElement("strong");
        who.className = "result-person";
        who.textContent = hit.face.person.name + " · ";
        label.prepend(who);
      }
      tile.appendChild(label);
      grid.appendChild(tile);
    });
    const n = data.count;
    setStatus(n === 0 ? "No matching photos at this strictness." : n + (n === 1 ? " photo shows" : " photos show") + " this person.");
  }

  function showError(data, status) {
    grid.replaceChildren();
    let message = "Search failed (" + status + ").";
    if (data) {
      if (data.detail) message = data.detail;
      else if (data.image) message = data.image.join(" ");
      else if (data.non_field_errors) message = data.non_field_errors.join(" ");
    }
    setStatus(message, true);
    if (data && data.query_faces) drawQueryFaces(data.query_faces);
  }

  function run() {
    if (!query) return;
    // A photo goes as multipart; one of your faces as JSON (as the API documents).
    let body;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", api);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    if (query.file) {
      body = new FormData();
      body.append("image", query.file);
      if (faceIndex !== null) body.append("face_index", String(faceIndex));
      if (userMovedSlider) body.append("threshold", slider.value);
    } else {
      const payload = { face_id: query.faceId };
      if (userMovedSlider) payload.threshold = Number(slider.value);
      body = JSON.stringify(payload);
      xhr.setRequestHeader("Content-Type", "application/json");
    }
    xhr.responseType = "json";
    progress.hidden = false;
    progress.querySelector("span").style.width = "0";
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) progress.querySelector("span").style.width = pct(e.loaded, e.total);
    };
    xhr.onload = () => {
      progress.hidden = true;
      const data = xhr.response;
      if (xhr.status !== 200) { showError(data, xhr.status); return; }
      if (!userMovedSlider) {
        // Centre the slider's range on the model's own threshold (scales differ between models).
        slider.min = Math.max(-1, data.threshold - 0.15).toFixed(2);
        slider.max = Math.min(0.995, data.threshold + 0.06).toFixed(3);
        slider.value = data.threshold.toFixed(2);
      }
      sliderValue.textContent = Number(slider.value).toFixed(3);
      slider.disabled = false;
      if (query.file) drawQueryFaces(data.query_faces);
      renderResults(data);
    };
    xhr.onerror = () => { progress.hidden = true; setStatus("The server could not be reached.", true); };
    setStatus("Searching…");
    xhr.send(body);
  }

  function useFile(file) {
    if (!file) return;
    query = { file: file };
    faceIndex = null;
    stage.hidden = false;
    stage.querySelectorAll(".face-box").forEach((el) => el.remove());
    queryImage.onload = () => run();
    queryImage.src = URL.createObjectURL(file);
  }

  fileInput.addEventListener("change", () => useFile(fileInput.files[0]));
  ["dragenter", "dragover"].forEach((name) => drop.addEventListener(name, (e) => {
    e.preventDefault(); drop.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((name) => drop.addEventListener(name, (e) => {
    e.preventDefault(); drop.classList.remove("over");
  }));
  drop.addEventListener("drop", (e) => useFile(e.dataTransfer.files[0]));
  slider.addEventListener("input", () => {
    userMovedSlider = true;
    sliderValue.textContent = Number(slider.value).toFixed(3);
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });

  if (app.dataset.faceId) {
    query = { faceId: Number(app.dataset.faceId) };
    stage.hidden = false;
    queryImage.src = "/faces/" + app.dataset.faceId + "/crop.jpg";
    run();
  }
})();

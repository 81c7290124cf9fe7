// Photo detail: outline the detected faces; clicking one searches for that person.
(function () {
  "use strict";
  const stage = document.getElementById("photo-stage");
  const image = document.getElementById("photo-image");
  if (!stage || !image || !stage.dataset.facesUrl) return;
  const status = document.getElementById("faces-status");

  function pct(value, total) { return (100 * value / total).toFixed(3) + "%"; }

  fetch(stage.dataset.facesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((data) => {
      data.results.forEach((face) => {
        const link = document.createElement("a");
        link.className = "face-box photo-face";
        link.href = "/search/?face_id=" + face.id;
        link.title = "Find this person";
        link.style.left = pct(face.box[0], data.width);
        link.style.top = pct(face.box[1], data.height);
        link.style.width = pct(face.box[2] - face.box[0], data.width);
        link.style.height = pct(face.box[3] - face.box[1], data.height);
        stage.appendChild(link);
      });
      if (status) {
        const n = data.results.length;
        const labels = { pending: "Looking for faces…", failed: "Face detection failed.", no_faces: "No faces found." };
        status.textContent = n ? n + (n === 1 ? " face" : " faces") + " found: click one to find that person." : (labels[data.index_status] || "No faces found.");
      }
    })
    .catch(() => { if (status) status.textContent = "Faces could not be loaded."; });
})();

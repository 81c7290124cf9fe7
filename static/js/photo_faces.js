// Photo detail: outline the detected faces with their names; clicking one goes to its row in
// "People in this photo" (name it, move it, remove it, or search for similar faces).
(function () {
  "use strict";
  const stage = document.getElementById("photo-stage");
  const image = document.getElementById("photo-image");
  if (!stage || !image || !stage.dataset.facesUrl) return;
  const status = document.getElementById("faces-status");
  const text = stage.dataset;

  function pct(value, total) { return (100 * value / total).toFixed(3) + "%"; }

  function focusRow(faceId) {
    const row = document.getElementById("face-" + faceId);
    if (!row) return;
    document.querySelectorAll(".photo-person.highlight").forEach((el) => el.classList.remove("highlight"));
    row.classList.add("highlight");
    const input = row.querySelector("input[type=text]");
    if (input) input.focus();
  }

  fetch(stage.dataset.facesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((data) => {
      data.results.forEach((face) => {
        const link = document.createElement("a");
        link.className = "face-box photo-face";
        link.href = "#face-" + face.id;
        const name = face.person ? face.person.name : "";
        link.title = name || text.unnamed || "";
        link.setAttribute("aria-label", name || text.unnamed || "");
        link.style.left = pct(face.box[0], data.width);
        link.style.top = pct(face.box[1], data.height);
        link.style.width = pct(face.box[2] - face.box[0], data.width);
        link.style.height = pct(face.box[3] - face.box[1], data.height);
        if (name) {
          const label = document.createElement("span");
          label.className = "face-label";
          label.textContent = name;
          link.appendChild(label);
        }
        link.addEventListener("click", (event) => {
          if (document.getElementById("face-" + face.id)) {
            event.preventDefault();
            focusRow(face.id);
          }
        });
        stage.appendChild(link);
      });
      if (status) {
        const n = data.results.length;
        const labels = { pending: text.pending, failed: text.failed, no_faces: text.noFaces };
        status.textContent = n ? (n === 1 ? text.oneFace : text.manyFaces.replace("%(count)s", n)) : (labels[data.index_status] || text.noFaces);
      }
    })
    .catch(() => { if (status) status.textContent = text.loadFailed; });
})();

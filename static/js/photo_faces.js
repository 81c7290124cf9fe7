// Photo detail: outline the detected faces with their names; clicking one goes to its row in
// "People in this photo" (name it, move it, remove it, or search for similar faces).
// Strings: gettext, ngettext and interpolate from Django's JavaScript catalog (base.html loads it).
(function () {
  "use strict";
  const stage = document.getElementById("photo-stage");
  const image = document.getElementById("photo-image");
  if (!stage || !image || !stage.dataset.facesUrl) return;
  const status = document.getElementById("faces-status");
  const unnamed = gettext("Who is this? Click to name");

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
        link.title = name || unnamed;
        link.setAttribute("aria-label", name || unnamed);
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
        const labels = {
          pending: gettext("Looking for faces…"),
          failed: gettext("Face detection failed."),
          no_faces: gettext("No faces found."),
        };
        status.textContent = n
          ? interpolate(ngettext("%s face found: click it to name it.", "%s faces found: click one to name it.", n), [n])
          : (labels[data.index_status] || labels.no_faces);
      }
    })
    .catch(() => { if (status) status.textContent = gettext("Faces could not be loaded."); });
})();

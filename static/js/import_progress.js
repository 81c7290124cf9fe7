// The import's page while it runs: poll its status, move the progress bar, show the summary
// (a reload) once it has finished.
(function () {
  "use strict";
  const box = document.getElementById("import-progress");
  if (!box) return;
  const statusText = document.getElementById("import-status");
  const bar = document.getElementById("import-bar");
  const url = box.dataset.statusUrl;

  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        if (data.finished) {
          window.location.reload();
          return;
        }
        if (data.total) {
          bar.max = data.total;
          bar.value = data.done;
          statusText.textContent = interpolate(gettext("Importing · %(done)s of %(total)s files"), data, true);
        }
        window.setTimeout(tick, 2000);
      })
      .catch(function () {
        window.setTimeout(tick, 5000);
      });
  }
  window.setTimeout(tick, 1000);
})();

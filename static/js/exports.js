// Export page: follow the exports being made (GET /api/exports/{id}/) and show their progress;
// once one is ready or has failed, reload the page for its download link or its reason.
(function () {
  "use strict";
  var POLL_MS = 2000;
  document.querySelectorAll(".export-item").forEach(function (item) {
    var status = item.getAttribute("data-export-status");
    if (status !== "pending" && status !== "running") { return; }
    var id = item.getAttribute("data-export-id");
    var bar = item.querySelector(".progress");
    var count = item.querySelector(".export-count");
    var label = item.querySelector(".export-status");
    function poll() {
      fetch("/api/exports/" + encodeURIComponent(id) + "/", {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (data) {
        if (data.status === "done" || data.status === "failed") {
          window.location.reload();
          return;
        }
        var total = data.photos_total || 0;
        var percent = total ? Math.round(100 * data.photos_done / total) : 0;
        if (bar) {
          bar.setAttribute("aria-valuenow", String(data.photos_done));
          bar.setAttribute("aria-valuemax", String(total));
          bar.firstElementChild.style.width = percent + "%";
        }
        if (count) {
          count.textContent = interpolate(gettext("%(done)s of %(total)s photos"),
            { done: data.photos_done, total: total }, true);
        }
        if (label && data.status === "running") { label.textContent = gettext("Being made"); }
        window.setTimeout(poll, POLL_MS);
      }).catch(function () {
        window.setTimeout(poll, POLL_MS * 5);  // the server is busy or down: try again later
      });
    }
    window.setTimeout(poll, POLL_MS);
  });
})();

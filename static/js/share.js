// Album share links: copy a new link (the owner's page), and ←/→ between the photos of a
// shared album (the visitor's photo page). Plain script, no dependencies.
(function () {
  "use strict";

  var copy = document.getElementById("share-copy");
  var field = document.getElementById("share-url");
  if (copy && field) {
    copy.addEventListener("click", function () {
      field.select();
      var done = function () {
        copy.textContent = copy.getAttribute("data-copied");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          document.execCommand("copy");
          done();
        });
      } else {
        document.execCommand("copy");
        done();
      }
    });
    field.addEventListener("focus", function () {
      field.select();
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) return;
    var link = null;
    if (event.key === "ArrowLeft") link = document.getElementById("shared-previous");
    if (event.key === "ArrowRight") link = document.getElementById("shared-next");
    if (link) {
      event.preventDefault();
      window.location.href = link.href;
    }
  });
})();

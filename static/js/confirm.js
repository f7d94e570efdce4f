// Forms that ask before an irreversible step carry data-confirm="…" (no inline handlers: the
// Content-Security-Policy forbids them). The server still refuses a step that is not allowed.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();

// A refused action re-renders the whole hazard page; on a phone its form is screens below the
// banner. Open that form, bring its first error into view and put the cursor in the field.
(function () {
  "use strict";
  var form = document.querySelector("form[data-refused]");
  var banner = document.getElementById("action-error");
  if (!form) {
    if (banner) banner.focus();
    return;
  }
  var details = form.closest("details");
  if (details) details.open = true;
  var error = form.querySelector("[role=alert]");
  if (!error) return;
  var wrapper = error.closest("[data-field]");
  var field = wrapper && wrapper.querySelector("input:not([type=hidden]), select, textarea");
  (wrapper || error).scrollIntoView({ block: "center" });
  if (field) field.focus({ preventScroll: true });
})();

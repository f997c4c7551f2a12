// Forms: after a refused post, move focus to the error summary so a screen reader reads it first
// (the GOV.UK pattern); each of its links then takes the reader to the field.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
})();

// Term form: show only the fields that fit the chosen kind of term and money schedule, and add rows to a
// custom schedule without a round trip. Without JavaScript every field shows and "Add rows" posts the form.
(function () {
  "use strict";
  var form = document.querySelector("[data-term-form]");
  if (!form) return;

  function chosen(name, fallback) {
    var input = form.querySelector("input[name='" + name + "']:checked");
    return input ? input.value : fallback;
  }

  function update() {
    var fixedKind = form.querySelector("input[name='kind']") === null;
    var kind = chosen("kind", "");
    var schedule = chosen("schedule", "equal");
    form.querySelectorAll("[data-for-kinds]").forEach(function (group) {
      if (fixedKind) return; // editing: the template already shows what the term's kind needs
      group.hidden = kind !== "" && group.dataset.forKinds.split(" ").indexOf(kind) === -1;
    });
    form.querySelectorAll("[data-for-schedules]").forEach(function (group) {
      group.hidden = group.dataset.forSchedules.split(" ").indexOf(schedule) === -1;
    });
  }

  var addRow = form.querySelector("[data-add-row]");
  var table = form.querySelector("[data-rows] tbody");
  var total = form.querySelector("input[name='rows-TOTAL_FORMS']");
  if (addRow && table && total) {
    addRow.addEventListener("click", function (event) {
      event.preventDefault();
      var rows = table.querySelectorAll("[data-row]");
      var template = rows[rows.length - 1];
      var index = parseInt(total.value, 10);
      var row = template.cloneNode(true);
      row.querySelectorAll("input, label").forEach(function (node) {
        ["name", "id", "for"].forEach(function (attribute) {
          var value = node.getAttribute(attribute);
          if (value) node.setAttribute(attribute, value.replace(/rows-\d+-/, "rows-" + index + "-"));
        });
        if (node.tagName === "INPUT") node.value = "";
        if (node.tagName === "LABEL") node.textContent = node.textContent.replace(/\d+/, String(index + 1));
      });
      row.querySelectorAll(".error").forEach(function (node) { node.remove(); });
      table.appendChild(row);
      total.value = String(index + 1);
      row.querySelector("input").focus();
    });
  }

  form.addEventListener("change", update);
  update();
})();

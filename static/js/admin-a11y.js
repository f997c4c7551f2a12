// Accessible names Django admin's own markup leaves out. Each repair names a control after the label
// or column header a sighted person reads beside it. The admin's own scripts (select2, "Add another"
// rows) build markup later, so the repairs run again, at most once a frame, whenever the page changes;
// each one only fills in what is still missing.
(function () {
  "use strict";

  function text(element) {
    return element ? element.textContent.replace(/[:*?]/g, " ").replace(/\s+/g, " ").trim() : "";
  }

  function name(control, label) {
    if (label && !control.getAttribute("aria-label") && !(control.labels && control.labels.length)) {
      control.setAttribute("aria-label", label);
    }
  }

  // A date and a time typed separately: "Last login, date" and "Last login, time".
  function nameDateTimes() {
    document.querySelectorAll("p.datetime").forEach(function (box) {
      var row = box.closest(".form-row, .fieldBox, td");
      var label = text(row && row.querySelector("label"));
      box.querySelectorAll("input").forEach(function (input, index) {
        name(input, label + (index === 0 ? ", date" : ", time"));
      });
    });
  }

  // Tabular inlines: each field of a row is named by its column header and the row's number.
  function nameInlineRows() {
    document.querySelectorAll(".tabular table").forEach(function (table) {
      table.querySelectorAll("thead th").forEach(function (th) {
        if (!text(th)) {
          var hidden = document.createElement("span");
          hidden.className = "visually-hidden";
          hidden.textContent = th.classList.contains("original") ? "Record" : "Actions";
          th.appendChild(hidden);
        }
      });
      table.querySelectorAll("tbody tr.form-row").forEach(function (row, index) {
        row.querySelectorAll("td").forEach(function (cell) {
          var column = cell.className.match(/field-([\w-]+)/);
          var header = column && table.querySelector("thead th.column-" + column[1]);
          var label = header ? text(header) : cell.classList.contains("delete") ? "Delete" : "";
          cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (control) {
            name(control, label && label + ", row " + (index + 1));
          });
        });
      });
    });
  }

  // The filter_horizontal boxes' icons carry a label but no role that allows one.
  function giveIconsARole() {
    document.querySelectorAll(".help-tooltip[aria-label]").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  // An autocomplete box (select2, built right after the select it stands for) is named by that select's label.
  function nameAutocompletes() {
    document.querySelectorAll(".select2-container").forEach(function (container) {
      var select = container.previousElementSibling;
      var label = select && select.id && document.querySelector('label[for="' + select.id + '"]');
      container.querySelectorAll("[role=combobox], [role=textbox]").forEach(function (part) {
        name(part, text(label));
      });
    });
  }

  // An inline table wider than the screen scrolls in its own box: keyboard users can reach and scroll it.
  function letWideInlinesScroll() {
    document.querySelectorAll(".inline-group").forEach(function (group) {
      if (group.scrollWidth > group.clientWidth && !group.hasAttribute("tabindex")) {
        group.setAttribute("tabindex", "0");
        group.setAttribute("role", "region");
        group.setAttribute("aria-label", text(group.querySelector("h2")) || "Related records");
      }
    });
  }

  function repair() {
    nameDateTimes();
    nameInlineRows();
    giveIconsARole();
    nameAutocompletes();
    letWideInlinesScroll();
  }

  var pending = false;
  function schedule() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        repair();
      });
    }
  }

  repair();
  new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("load", repair);
})();

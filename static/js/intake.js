// Intake: the parent or guardian section shows as soon as the offender's birth date makes them a juvenile on
// the incident date (or, without one, the referral date), so every error comes in one round. The server's
// rule stays the one that counts; without JavaScript the section is always shown.
(function () {
  "use strict";
  var section = document.querySelector("[data-guardian]");
  var born = document.getElementById("id_offender-date_of_birth");
  if (!section || !born) return;
  var incident = document.getElementById("id_case-incident_date");
  var referred = document.getElementById("id_case-referral_date");
  var adultAge = parseInt(section.getAttribute("data-adult-age"), 10);

  function parse(value) {
    var match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
    return match ? { y: +match[1], m: +match[2], d: +match[3] } : null;
  }

  function ageOn(birth, day) {
    var age = day.y - birth.y;
    if (day.m < birth.m || (day.m === birth.m && day.d < birth.d)) age -= 1;
    return age;
  }

  function started() {
    // Something typed into the section, or an error in it from the server: never hide it then.
    if (section.querySelector(".field--error")) return true;
    return Array.prototype.some.call(section.querySelectorAll("input[type=text], input[type=email], textarea"),
      function (input) { return input.value.trim() !== "" && input.name.indexOf("preferred_language") === -1; });
  }

  function update() {
    var birth = parse(born.value);
    var day = parse(incident && incident.value) || parse(referred && referred.value);
    var juvenile = birth !== null && day !== null && ageOn(birth, day) < adultAge;
    section.hidden = !(juvenile || started());
  }

  [born, incident, referred].forEach(function (input) {
    if (!input) return;
    input.addEventListener("input", update);
    input.addEventListener("change", update);
  });
  update();
})();

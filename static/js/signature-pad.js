// Signature pad for the sign page: draw with a finger, stylus or mouse; the PNG goes into a hidden field.
// No inline script (the Content-Security-Policy forbids it); without JavaScript every method stays visible.
(function () {
  "use strict";
  var form = document.querySelector("[data-signature-form]");
  if (!form) return;
  var canvas = form.querySelector("[data-signature-pad]");
  var hidden = form.querySelector("input[name='drawn']");
  var clearButton = form.querySelector("[data-signature-clear]");
  var context = canvas.getContext("2d");
  var drawing = false;
  var inked = false;
  var last = null;

  context.lineWidth = 3;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#14205a";

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * (canvas.width / box.width),
      y: (event.clientY - box.top) * (canvas.height / box.height)
    };
  }

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    context.beginPath();
    context.arc(last.x, last.y, 1.2, 0, 2 * Math.PI);
    context.fillStyle = context.strokeStyle;
    context.fill();
    inked = true;
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    event.preventDefault();
    var next = point(event);
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    last = next;
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });
  clearButton.addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height);
    inked = false;
    hidden.value = "";
  });

  var radios = form.querySelectorAll("input[name='method']");
  function showChosen() {
    var chosen = form.querySelector("input[name='method']:checked");
    form.querySelectorAll(".sign-method").forEach(function (fieldset) {
      fieldset.hidden = chosen && fieldset.getAttribute("data-method") !== chosen.value;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", showChosen); });
  showChosen();

  form.addEventListener("submit", function () {
    var chosen = form.querySelector("input[name='method']:checked");
    if (chosen && chosen.value === "drawn" && inked) {
      hidden.value = canvas.toDataURL("image/png");
    }
  });
})();

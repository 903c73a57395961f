/* PADE self-diagnosis: small progressive enhancements; every page also works without this file.
   - the RUC is checked as it is typed (same rules as pade.registry.ruc; the server checks again);
   - "copy link" buttons;
   - conditional questions shown or hidden after an autosave (event sent by the server in HX-Trigger).
   Messages come from data-* attributes rendered in Spanish by the server (the i18n catalogue). */
(function () {
  "use strict";
  var WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  var PREFIXES = ["10", "15", "17", "20"];

  function normalise(raw) { return raw.replace(/[\s.\-\u2010-\u2015\u2212]/g, ""); }

  function rucMessage(input, onBlur) {
    var d = input.dataset;
    var n = normalise(input.value);
    if (n === "") { return ["", false]; }
    if (!/^[0-9]+$/.test(n)) { return [d.msgFormat, true]; }
    if (n.length > 11 || (onBlur && n.length < 11)) { return [d.msgLength.replace("{n}", n.length), true]; }
    if (n.length < 11) { return [d.msgCount.replace("{n}", n.length), false]; }
    if (PREFIXES.indexOf(n.slice(0, 2)) < 0) { return [d.msgPrefix, true]; }
    var sum = 0;
    for (var i = 0; i < 10; i++) { sum += WEIGHTS[i] * Number(n[i]); }
    if ((11 - (sum % 11)) % 10 !== Number(n[10])) { return [d.msgDigit, true]; }
    return [d.msgOk, false];
  }

  var ruc = document.getElementById("ruc");
  if (ruc) {
    var out = document.getElementById("ruc-estado");
    var show = function (onBlur) {
      var m = rucMessage(ruc, onBlur);
      out.textContent = m[0];
      out.className = m[1] ? "sd-live error" : "sd-live";
      if (m[1]) { ruc.setAttribute("aria-invalid", "true"); } else { ruc.removeAttribute("aria-invalid"); }
    };
    ruc.addEventListener("input", function () { show(false); });
    ruc.addEventListener("blur", function () { show(true); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = button.parentNode.parentNode.querySelector(".sd-copied");
      var done = function () { if (status) { status.textContent = button.getAttribute("data-copied"); } };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); document.execCommand("copy"); done(); });
      } else {
        field.select();
        document.execCommand("copy");
        done();
      }
    });
  });

  document.body.addEventListener("pade:visibility", function (event) {
    var detail = event.detail || {};
    (detail.shown || []).forEach(function (id) {
      var el = document.getElementById("pregunta-" + id);
      if (el) { el.hidden = false; }
    });
    (detail.hidden || []).forEach(function (id) {
      var el = document.getElementById("pregunta-" + id);
      if (el) { el.hidden = true; }
    });
  });
}());

// Scenario player: press 1-9 to pick a choice, Enter sends it. Loaded as a file (CSP).
(function () {
  "use strict";
  var form = document.querySelector("form[data-player]");
  if (!form) return;
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    if (target && (target.tagName === "TEXTAREA" || target.type === "text")) return;
    var n = parseInt(event.key, 10);
    if (isNaN(n) || n < 1) return;
    var radios = form.querySelectorAll("input[type=radio]");
    if (n > radios.length) return;
    radios[n - 1].checked = true;
    radios[n - 1].focus();
    event.preventDefault();
  });
})();

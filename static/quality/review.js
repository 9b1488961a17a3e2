// The review page keeps a draft as the reviewer works: every change is posted (with the
// page's CSRF token) to the form's own address, which also works without JavaScript.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var status = document.getElementById("save-status");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var timer = null;

  var say = function (text, isError) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  };

  var save = function () {
    timer = null;
    say("Saving…");
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 409) {
          window.location.reload();
          return null;
        }
        return response.json().then(function (body) {
          if (!response.ok) {
            say((body.error && body.error.message) || "Not saved.", true);
            return;
          }
          say("Draft saved.");
        });
      })
      .catch(function () {
        say("Not saved yet: no connection. Save the draft when you are back online.", true);
      });
  };

  var later = function (delay) {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(save, delay);
  };

  form.addEventListener("change", function () { later(200); });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA") later(1500);
  });
  var submit = form.querySelector("button[data-final]");
  if (submit) {
    submit.addEventListener("click", function (event) {
      if (!window.confirm("Submit this review? A submitted review is final.")) {
        event.preventDefault();
      }
    });
  }
})();

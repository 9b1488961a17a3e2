// The candidate's test page: saves each answer as it is given, and shows the time left.
// The server keeps the deadline; this clock only displays it and reloads when it is over.
(function () {
  "use strict";

  var clock = document.querySelector(".countdown[data-seconds-left]");
  if (clock) {
    var left = parseInt(clock.getAttribute("data-seconds-left"), 10);
    var deadline = Date.now() + left * 1000;
    var shown = document.getElementById("time-left");
    var alert = document.getElementById("time-alert");
    var warned = {};
    var tick = function () {
      var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(seconds / 60);
      shown.textContent = minutes + ":" + String(seconds % 60).padStart(2, "0");
      clock.classList.toggle("low", seconds <= 120);
      [5, 1].forEach(function (mark) {
        if (minutes < mark && !warned[mark] && seconds > 0) {
          warned[mark] = true;
          alert.textContent = mark === 1 ? "Less than one minute left." : "Five minutes left.";
        }
      });
      if (seconds <= 0) {
        window.location.reload();
        return;
      }
      window.setTimeout(tick, 1000);
    };
    warned[5] = left < 300;
    warned[1] = left < 60;
    tick();
  }

  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var status = document.getElementById("save-status");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var pending = false;

  var say = function (text, isError) {
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  };

  var markDone = function () {
    var item = form.querySelector('input[name="item"]').value;
    var best = form.querySelector('input[name="best"]:checked');
    var worstInputs = form.querySelectorAll('input[name="worst"]');
    var worst = form.querySelector('input[name="worst"]:checked');
    var done = !!best && (worstInputs.length === 0 || !!worst);
    var button = form.querySelector('.item-map button[data-item="' + item + '"]');
    if (button && done && !button.classList.contains("done")) {
      button.classList.add("done");
      var count = document.getElementById("answered-count");
      var bar = document.getElementById("answered-progress");
      if (count) count.textContent = String(parseInt(count.textContent, 10) + 1);
      if (bar) bar.value = bar.value + 1;
    }
  };

  var save = function () {
    var data = new FormData(form);
    data.delete("go");
    say("Saving…");
    fetch(form.action, {
      method: "POST",
      body: data,
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
          pending = false;
          say("Saved.");
          markDone();
        });
      })
      .catch(function () {
        pending = true;
        say("Not saved yet: no connection. Your choice stays here and is saved when you are back online.", true);
      });
  };

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "radio") return;
    // In most/least items, one response cannot be both: clear the other column's choice.
    var other = input.name === "best" ? "worst" : input.name === "worst" ? "best" : null;
    if (other) {
      var twin = form.querySelector('input[name="' + other + '"][value="' + input.value + '"]:checked');
      if (twin) twin.checked = false;
    }
    save();
  });

  window.addEventListener("online", function () {
    if (pending) save();
  });
})();

// Incentives pages. Loaded as a file: the CSP allows no inline script.
(function () {
  "use strict";

  // Ticket upload: send the file with XMLHttpRequest so a progress bar can show the upload,
  // then wait while the server checks every row. The server answers JSON: where to go next
  // (the import's page) or the page to show again (form errors, a dry-run report).
  function bindUpload(form) {
    var fileInput = form.querySelector('input[type="file"][name="file"]');
    var box = form.querySelector(".upload-progress");
    var limitNode = form.querySelector("[data-max-bytes]");
    if (!fileInput || !box || !window.FormData || !window.XMLHttpRequest) return;
    var bar = box.querySelector("progress");
    var status = box.querySelector(".upload-status");
    var button = form.querySelector('button[type="submit"]');

    form.addEventListener("submit", function (event) {
      var file = fileInput.files && fileInput.files[0];
      var limit = limitNode ? Number(limitNode.getAttribute("data-max-bytes")) : 0;
      if (file && limit && file.size > limit) {
        event.preventDefault();
        box.hidden = false;
        bar.hidden = true;
        status.textContent = "This file is " + Math.ceil(file.size / 1048576) +
          " MB, over the limit here. Import it with the tickets import command.";
        return;
      }
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      var token = document.querySelector('meta[name="csrf-token"]');
      if (token) xhr.setRequestHeader("X-CSRFToken", token.getAttribute("content"));
      box.hidden = false;
      bar.hidden = false;
      bar.value = 0;
      status.textContent = "Uploading…";
      if (button) button.disabled = true;

      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        bar.value = e.loaded / e.total;
        status.textContent = "Uploading… " + Math.round((100 * e.loaded) / e.total) + "%";
      });
      xhr.upload.addEventListener("load", function () {
        bar.removeAttribute("value");  // indeterminate while the server works
        status.textContent = "Uploaded. Checking every row…";
      });
      xhr.addEventListener("load", function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        if (data && data.location) {
          window.location.assign(data.location);
        } else if (data && data.html) {
          var doc = new DOMParser().parseFromString(data.html, "text/html");
          var fresh = doc.getElementById("import-area");
          var area = document.getElementById("import-area");
          if (fresh && area) {
            area.replaceWith(fresh);
            var again = fresh.querySelector("form.ticket-upload");
            if (again) bindUpload(again);
          }
        } else {
          fail("The server could not take the file (" + xhr.status + "). Try again.");
        }
      });
      xhr.addEventListener("error", function () {
        fail("The upload was interrupted. Check the connection and try again.");
      });
      xhr.send(new FormData(form));
    });

    function fail(message) {
      bar.hidden = true;
      status.textContent = message;
      if (button) button.disabled = false;
    }
  }

  document.querySelectorAll("form.ticket-upload").forEach(bindUpload);

  // A background job (a month's scorecards): poll its state and move the progress bar
  // until it is done, then offer the download. Any worker answers: the state is stored.
  function bindJob(box) {
    var url = box.getAttribute("data-job-url");
    var bar = box.querySelector("progress");
    var state = box.querySelector(".job-state");
    var message = box.querySelector(".job-message");
    var count = box.querySelector(".job-count");
    var error = box.querySelector(".job-error");
    var done = box.querySelector(".job-done");
    var link = box.querySelector(".job-download");
    var summary = box.querySelector(".job-summary");
    var restart = box.querySelector(".job-restart");
    var misses = 0;

    function show(data) {
      state.textContent = data.status_label;
      message.textContent = data.message;
      if (data.total) {
        bar.max = data.total;
        bar.value = data.status === "done" ? data.total : data.progress;
        if (count) count.textContent = data.progress + " of " + data.total;
      } else {
        bar.removeAttribute("value");
      }
      if (data.status === "failed") {
        error.textContent = data.error || "The job failed.";
        error.hidden = false;
        if (restart) restart.hidden = false;
      }
      if (data.status === "done" && data.download) {
        link.href = data.download;
        if (summary) summary.textContent = "";
        done.hidden = false;
      }
    }

    function poll() {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.addEventListener("load", function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        if (xhr.status !== 200 || !data) {
          misses += 1;
          if (misses < 10) setTimeout(poll, 2000);
          return;
        }
        misses = 0;
        show(data);
        if (!data.finished) setTimeout(poll, 1000);
      });
      xhr.addEventListener("error", function () {
        misses += 1;
        if (misses < 10) setTimeout(poll, 2000);
      });
      xhr.send();
    }

    if (done.hidden && error.hidden) poll();
  }

  document.querySelectorAll(".job-progress[data-job-url]").forEach(bindJob);
})();

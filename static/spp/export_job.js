// Polls a Flex export job's status and shows the progress, then the download link.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box) { return; }
  var bar = document.getElementById("job-progress");
  var fill = bar.querySelector(".progress-bar");
  var text = document.getElementById("job-text");
  var link = document.getElementById("job-download");
  var fmt = new Intl.NumberFormat("en-US");

  function show(status) {
    fill.style.width = status.percent + "%";
    fill.textContent = status.percent + "%";
    bar.setAttribute("aria-valuenow", String(status.percent));
    if (status.state === "done") {
      fill.classList.remove("progress-bar-striped", "progress-bar-animated");
      text.textContent = "Ready: " + fmt.format(status.total) + " rows.";
      link.href = status.download_url;
      link.classList.remove("d-none");
      return true;
    }
    if (status.state === "failed") {
      fill.classList.remove("progress-bar-striped", "progress-bar-animated");
      fill.classList.add("bg-danger");
      text.textContent = "The export failed: " + status.error;
      return true;
    }
    text.textContent = "Preparing " + fmt.format(status.total) + " rows: " +
      fmt.format(status.done) + " written.";
    return false;
  }

  function poll() {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status && show(status)) { return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  if (!link.classList.contains("d-none")) { return; }
  poll();
})();

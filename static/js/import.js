// Roster import: upload with a progress bar, then show the per-row report without reloading.
(function () {
  "use strict";
  var form = document.querySelector("[data-import-form]");
  if (!form || !window.XMLHttpRequest) { return; }
  var box = document.querySelector("[data-import-progress]");
  var bar = document.querySelector("[data-progress-bar]");
  var label = document.querySelector("[data-progress-label]");
  var result = document.querySelector("[data-import-result]");
  var t = document.querySelector("[data-import-templates]").dataset;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }
  function setProgress(percent, text) {
    bar.style.width = percent + "%";
    bar.parentElement.setAttribute("aria-valuenow", String(percent));
    label.textContent = text;
  }
  function cell(row, text, tag) {
    var el = document.createElement(tag || "td");
    el.textContent = text;
    row.appendChild(el);
  }
  function showReport(data) {
    result.textContent = "";
    var alert = document.createElement("div");
    alert.className = "alert mt-3 " + (data.ok ? "alert-success" : "alert-danger");
    alert.setAttribute("role", data.ok ? "status" : "alert");
    alert.setAttribute("data-testid", data.ok ? "import-ok" : "import-rejected");
    if (data.ok) {
      var c = data.counts;
      alert.textContent = fill(t.ok, { rows: c.rows, created: c.created, updated: c.updated, moved: c.moved,
        unchanged: c.unchanged, classes: c.classes_created });
      if (data.new_classes.length) {
        alert.appendChild(document.createElement("br"));
        alert.appendChild(document.createTextNode(t.newClasses + " " + data.new_classes.join(", ")));
      }
      alert.appendChild(document.createElement("br"));
      var back = document.createElement("a");
      back.href = t.back;
      back.textContent = t.backLabel;
      alert.appendChild(back);
      result.appendChild(alert);
      return;
    }
    alert.textContent = fill(t.rejected, { n: data.errors.length });
    result.appendChild(alert);
    var table = document.createElement("table");
    table.className = "table table-sm";
    var head = document.createElement("tr");
    cell(head, t.row, "th"); cell(head, t.column, "th"); cell(head, t.message, "th");
    var thead = document.createElement("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var tbody = document.createElement("tbody");
    data.errors.forEach(function (e) {
      var tr = document.createElement("tr");
      cell(tr, e.row === null ? t.whole : String(e.row));
      cell(tr, e.column || "");
      cell(tr, e.message);
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    result.appendChild(table);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("Accept", "application/json");
    box.classList.remove("d-none");
    result.textContent = "";
    setProgress(0, form.dataset.msgUploading);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        setProgress(Math.round((e.loaded / e.total) * 90), form.dataset.msgUploading);
      }
    });
    xhr.upload.addEventListener("load", function () { setProgress(95, form.dataset.msgProcessing); });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (!data) { setProgress(0, form.dataset.msgFailed); return; }
      setProgress(100, "");
      box.classList.add("d-none");
      showReport(data);
    });
    xhr.addEventListener("error", function () { setProgress(0, form.dataset.msgFailed); });
    xhr.send(new FormData(form));
  });
})();

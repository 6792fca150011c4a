// The judge's scoring sheet: marks and the comment are saved as the judge types (debounced),
// each save carrying a sequence number so a late retry never overwrites newer marks. The
// server checks every mark against its criterion's range; its message appears beside the field.
(function () {
  "use strict";
  var form = document.getElementById("judging-sheet");
  if (!form || form.getAttribute("data-editable") !== "true") { return; }

  var status = document.getElementById("sheet-status");
  var totalEl = document.getElementById("sheet-total");
  var inputs = Array.prototype.slice.call(form.querySelectorAll("[data-criterion]"));
  var comment = document.getElementById("sheet-comment");
  var seq = parseInt(form.getAttribute("data-seq"), 10) || 0;
  var timer = null;
  var inFlight = null;
  var dirty = false;

  function say(key) { status.textContent = form.getAttribute("data-msg-" + key) || ""; }

  function nextSeq() {
    seq = Math.max(seq + 1, Date.now());
    return seq;
  }

  function payload() {
    var marks = {};
    inputs.forEach(function (input) {
      var value = input.value.trim().replace(",", ".");
      marks[input.getAttribute("data-criterion")] = value === "" ? null : value;
    });
    return { marks: marks, comment: comment.value, seq: nextSeq() };
  }

  function clearErrors() {
    inputs.forEach(function (input) {
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
      document.getElementById(input.id + "-error").textContent = "";
    });
  }

  // The server's rules, checked here first so a mistake shows at once, and before the dialog.
  var step = parseFloat(form.getAttribute("data-step")) || 0.25;

  function localError(input) {
    var raw = input.value.trim().replace(",", ".");
    if (raw === "") { return ""; }
    var value = Number(raw);
    if (!isFinite(value)) { return form.getAttribute("data-msg-number"); }
    if (Math.abs(value / step - Math.round(value / step)) > 1e-9) { return form.getAttribute("data-msg-step"); }
    var top = parseFloat(input.getAttribute("data-max"));
    if (value < 0 || value > top) {
      return form.getAttribute("data-msg-range").replace("{max}", input.getAttribute("data-max-label") || input.getAttribute("data-max"));
    }
    return "";
  }

  function showField(input, message) {
    input.classList.toggle("is-invalid", !!message);
    if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    document.getElementById(input.id + "-error").textContent = message || "";
  }

  function checkAll(requireAll) {
    var first = null;
    inputs.forEach(function (input) {
      var message = localError(input);
      if (!message && requireAll && input.value.trim() === "") { message = form.getAttribute("data-msg-missing"); }
      showField(input, message);
      if (message && !first) { first = input; }
    });
    return first;
  }

  function newKey() {
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function problem(data) { return (data && data.error) || {}; }

  function showErrors(data) {
    data = problem(data);
    var fields = (data && data.fields) || {};
    if (data && data.field && !fields[data.field]) { fields[data.field] = data.message; }
    var shown = false;
    Object.keys(fields).forEach(function (name) {
      var input = document.getElementById(name);
      if (!input) { return; }
      input.classList.add("is-invalid");
      input.setAttribute("aria-invalid", "true");
      document.getElementById(name + "-error").textContent = fields[name];
      shown = true;
    });
    return shown;
  }

  // Numbers the page's way: "7,75" in Vietnamese, "7.75" in English.
  var points = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 2 });

  function updateTotal() {
    var total = 0;
    var any = false;
    inputs.forEach(function (input) {
      var value = parseFloat(input.value.replace(",", "."));
      if (!isNaN(value)) { total += value; any = true; }
    });
    totalEl.textContent = any ? points.format(Math.round(total * 100) / 100) : "—";
  }

  function save() {
    timer = null;
    dirty = false;
    say("saving");
    var body = payload();
    inFlight = window.MX.fetchJSON(form.getAttribute("data-url"), { method: "PUT", body: body })
      .then(function (result) {
        inFlight = null;
        if (result.ok) {
          clearErrors();
          if (!dirty) { say("saved"); }
          return true;
        }
        if (result.status === 400 && showErrors(result.data)) {
          status.textContent = problem(result.data).message || "";
          return false;
        }
        status.textContent = problem(result.data).message || form.getAttribute("data-msg-failed");
        if (result.status >= 500 || result.status === 0) { schedule(3000); }
        return false;
      })
      .catch(function () {
        inFlight = null;
        say("failed");
        schedule(3000);
        return false;
      });
    return inFlight;
  }

  function schedule(delay) {
    dirty = true;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, delay);
  }

  form.addEventListener("input", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-criterion")) {
      // A fixed value's old error disappears at once; a new mistake shows at once.
      showField(event.target, localError(event.target));
    }
    updateTotal();
    say("saving");
    schedule(600);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var wrong = checkAll(true);
    if (wrong) { wrong.focus(); return; }
    if (!window.confirm(form.getAttribute("data-msg-confirm"))) { return; }
    if (timer) { clearTimeout(timer); timer = null; }
    // One key per press: a retry of this press sends it again and changes nothing more.
    var key = newKey();
    Promise.resolve(inFlight).then(save).then(function (saved) {
      if (!saved) { return; }
      return window.MX.fetchJSON(form.getAttribute("data-submit-url"), {
        method: "POST", headers: { "Idempotency-Key": key }
      }).then(function (result) {
        if (result.ok) {
          say("submitted");
          window.location.assign(form.getAttribute("data-next-url"));
          return;
        }
        showErrors(result.data);
        status.textContent = problem(result.data).message || form.getAttribute("data-msg-failed");
      });
    });
  });
  // Marks typed before this script ran raised no input event: save whatever differs from the page.
  var typedEarly = inputs.concat([comment]).some(function (el) { return el.value !== el.defaultValue; });
  if (typedEarly) { updateTotal(); say("saving"); schedule(0); }
  form.setAttribute("data-ready", "true");
})();

// The quiz page: runs on the JSON API. Nothing a student answers is ever lost:
// every change is queued in localStorage with a rising sequence number, sent (debounced),
// and retried until the server has it; the server owns the clock.
(function () {
  "use strict";
  var app = document.getElementById("quiz-app");
  if (!app) { return; }
  var msg = function (name) { return app.getAttribute("data-msg-" + name) || ""; };
  var stateEl = document.getElementById("save-state");
  var timerEl = document.getElementById("timer");
  var alertEl = document.getElementById("quiz-alert");
  var form = document.getElementById("quiz-form");
  var list = document.getElementById("quiz-questions");
  var predictionBlock = document.getElementById("prediction-block");
  var predictionInput = document.getElementById("prediction");
  var predictionError = document.getElementById("prediction-error");
  var navList = document.getElementById("quiz-nav-list");
  var progressEl = document.getElementById("quiz-progress");
  var summary = document.getElementById("submit-summary");

  var attempt = null;
  var deadline = 0; // Date.now() value at which time runs out, re-synced from the server
  var seq = 0;
  var pending = {}; // question id -> {choice_ids, seq}
  var timers = {};
  var sending = {};
  var retryTimer = null;
  var finished = false;
  var submitting = false;
  var flags = {}; // question id -> true: the student wants to look at it again (this device only)

  function storeKey(suffix) { return "mx-quiz-" + attempt.id + "-" + suffix; }
  function persist() {
    try {
      localStorage.setItem(storeKey("pending"), JSON.stringify(pending));
      localStorage.setItem(storeKey("seq"), String(seq));
      localStorage.setItem(storeKey("flags"), JSON.stringify(flags));
    } catch (e) { /* private mode: the in-memory queue still retries */ }
  }
  function restore() {
    try {
      pending = JSON.parse(localStorage.getItem(storeKey("pending")) || "{}") || {};
      seq = Math.max(seq, parseInt(localStorage.getItem(storeKey("seq")) || "0", 10) || 0);
      flags = JSON.parse(localStorage.getItem(storeKey("flags")) || "{}") || {};
    } catch (e) { pending = {}; }
  }
  function clearStore() {
    try {
      localStorage.removeItem(storeKey("pending"));
      localStorage.removeItem(storeKey("seq"));
      localStorage.removeItem(storeKey("flags"));
    } catch (e) { /* nothing to clear */ }
  }

  function showState(text, kind) {
    stateEl.textContent = text;
    stateEl.className = "saved-state " + (kind === "ok" ? "text-success" : kind === "warn" ? "text-warning-emphasis" : "text-muted");
    stateEl.setAttribute("data-state", kind);
  }
  function showAlert(text) {
    alertEl.textContent = text;
    alertEl.classList.toggle("d-none", !text);
  }
  function hasPending() { return Object.keys(pending).length > 0; }

  function syncClock(secondsRemaining) {
    if (typeof secondsRemaining === "number") {
      deadline = Date.now() + secondsRemaining * 1000;
    }
  }
  function tick() {
    if (finished) { return; }
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    timerEl.textContent = (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    timerEl.classList.toggle("text-danger", left <= 60);
    if (left === 0 && attempt && !submitting) {
      showAlert(msg("time-up"));
      submit(true);
    }
  }

  function render(questions, saved) {
    var answers = {};
    (saved || []).forEach(function (a) { answers[a.question_id] = a; seq = Math.max(seq, a.seq); });
    list.innerHTML = "";
    questions.forEach(function (q, index) {
      var li = document.createElement("li");
      li.className = "card mb-3";
      li.id = "q-" + q.id;
      var fieldset = document.createElement("fieldset");
      fieldset.className = "card-body";
      fieldset.setAttribute("data-question-id", q.id);
      var legend = document.createElement("legend");
      legend.className = "fs-6 fw-semibold";
      legend.textContent = msg("question").replace("{n}", index + 1) + ". " + q.text;
      fieldset.appendChild(legend);
      var hint = document.createElement("p");
      hint.className = "small text-muted mb-2";
      hint.textContent = q.kind === "multiple" ? msg("kind-multiple") : msg("kind-single");
      fieldset.appendChild(hint);
      var flag = document.createElement("button");
      flag.type = "button";
      flag.className = "btn btn-sm btn-outline-secondary quiz-flag mb-2";
      flag.setAttribute("data-flag", q.id);
      flag.setAttribute("aria-pressed", flags[q.id] ? "true" : "false");
      flag.textContent = "\u2691 " + msg("flag");
      var chosen = answers[q.id] ? answers[q.id].choice_ids : [];
      if (pending[q.id] && (!answers[q.id] || pending[q.id].seq > answers[q.id].seq)) {
        chosen = pending[q.id].choice_ids; // newer than what the server has: keep it
      } else if (pending[q.id]) {
        delete pending[q.id];
      }
      q.choices.forEach(function (c) {
        var id = "q" + q.id + "c" + c.id;
        var wrap = document.createElement("div");
        wrap.className = "form-check py-1";
        var input = document.createElement("input");
        input.className = "form-check-input";
        input.type = q.kind === "multiple" ? "checkbox" : "radio";
        input.name = "q" + q.id;
        input.id = id;
        input.value = c.id;
        input.checked = chosen.indexOf(c.id) !== -1;
        var label = document.createElement("label");
        label.className = "form-check-label";
        label.htmlFor = id;
        label.textContent = c.text;
        wrap.appendChild(input);
        wrap.appendChild(label);
        fieldset.appendChild(wrap);
      });
      fieldset.appendChild(flag);
      li.appendChild(fieldset);
      list.appendChild(li);
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#q-" + q.id;
      link.className = "quiz-nav-item";
      link.textContent = index + 1;
      link.setAttribute("data-nav", q.id);
      item.appendChild(link);
      navList.appendChild(item);
    });
    persist();
    updateNav();
  }

  // The navigator and the counter: answered and flagged questions at a glance.
  function updateNav() {
    var done = 0;
    attempt.questions.forEach(function (q, index) {
      var answered = choicesOf(q.id).length > 0;
      if (answered) { done += 1; }
      var link = navList.querySelector('[data-nav="' + q.id + '"]');
      link.classList.toggle("is-answered", answered);
      link.classList.toggle("is-flagged", !!flags[q.id]);
      link.setAttribute("aria-label", msg("question").replace("{n}", index + 1) + ": " +
        msg(answered ? "nav-answered" : "nav-unanswered") + (flags[q.id] ? ", " + msg("nav-flagged") : ""));
    });
    progressEl.textContent = msg("progress").replace("{n}", done).replace("{total}", attempt.questions.length);
    return done;
  }

  function numbersWhere(test) {
    var items = [];
    attempt.questions.forEach(function (q, index) { if (test(q)) { items.push({ id: q.id, n: index + 1 }); } });
    return items;
  }
  function fillLinks(el, label, items) {
    el.textContent = "";
    if (!items.length) { return; }
    el.appendChild(document.createTextNode(label + " "));
    items.forEach(function (item, i) {
      var a = document.createElement("a");
      a.href = "#q-" + item.id;
      a.textContent = msg("question").replace("{n}", item.n);
      el.appendChild(a);
      if (i < items.length - 1) { el.appendChild(document.createTextNode(", ")); }
    });
  }
  function predictionMissing() {
    return !!attempt.prediction_required && predictionInput.value === "";
  }
  function showPredictionError(show) {
    predictionInput.classList.toggle("is-invalid", show);
    predictionInput.setAttribute("aria-invalid", show ? "true" : "false");
    predictionInput.setAttribute("aria-describedby", show ? "prediction-help prediction-error" : "prediction-help");
  }
  // Before submitting: what is left unanswered, flagged or empty, with links to it.
  function showSummary() {
    var done = updateNav();
    var total = attempt.questions.length;
    document.getElementById("summary-count").textContent =
      done === total ? msg("summary-all") : msg("progress").replace("{n}", done).replace("{total}", total);
    fillLinks(document.getElementById("summary-unanswered"), msg("summary-unanswered"),
      numbersWhere(function (q) { return choicesOf(q.id).length === 0; }));
    fillLinks(document.getElementById("summary-flagged"), msg("summary-flagged"),
      numbersWhere(function (q) { return !!flags[q.id]; }));
    var missing = predictionMissing();
    document.getElementById("summary-prediction").textContent = missing ? msg("summary-prediction") : "";
    showPredictionError(missing);
    summary.classList.remove("d-none");
    summary.focus();
  }

  function choicesOf(questionId) {
    var inputs = form.querySelectorAll('input[name="q' + questionId + '"]');
    var ids = [];
    inputs.forEach(function (i) { if (i.checked) { ids.push(parseInt(i.value, 10)); } });
    return ids;
  }

  function queue(questionId) {
    seq += 1;
    pending[questionId] = { choice_ids: choicesOf(questionId), seq: seq };
    persist();
    showState(msg("saving"), "busy");
    clearTimeout(timers[questionId]);
    timers[questionId] = setTimeout(function () { send(questionId); }, 400);
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, 3000);
  }

  function send(questionId) {
    var item = pending[questionId];
    if (!item || sending[questionId] || finished) { return Promise.resolve(); }
    sending[questionId] = true;
    var url = app.getAttribute("data-api-base") + attempt.id + "/answers/" + questionId;
    // The attempt's token authenticates the save on the server's short path (its own header:
    // no other site can send it); without one the session cookie and CSRF token do.
    var headers = attempt.attempt_token ? { "X-Attempt-Token": attempt.attempt_token } : {};
    return window.MX.fetchJSON(url, { method: "PUT", headers: headers, body: { choice_ids: item.choice_ids, seq: item.seq } })
      .then(function (res) {
        sending[questionId] = false;
        if (res.ok) {
          if (pending[questionId] && pending[questionId].seq <= item.seq) { delete pending[questionId]; }
          persist();
          syncClock(res.data && res.data.seconds_remaining);
          if (hasPending()) { flush(); } else { showState(msg("saved"), "ok"); }
        } else if (res.status === 409) {
          finished = true;
          clearStore();
          window.location.assign(app.getAttribute("data-result-url") + attempt.id);
        } else if (res.status === 400 || res.status === 404) {
          delete pending[questionId]; // the server will never take this one
          persist();
          showAlert((res.data && res.data.error && res.data.error.message) || msg("error"));
        } else {
          showState(msg("pending"), "warn");
          scheduleRetry();
        }
      }, function () {
        sending[questionId] = false;
        showState(msg("offline"), "warn");
        scheduleRetry();
      });
  }

  function flush() {
    return Promise.all(Object.keys(pending).map(function (q) { return send(q); }));
  }

  function submit(timeUp) {
    if (submitting || finished) { return; }
    submitting = true;
    var trySubmit = function () {
      flush().then(function () {
        if (hasPending()) {
          showState(msg("waiting"), "warn");
          setTimeout(trySubmit, 2000);
          return;
        }
        var body = {};
        if (attempt.prediction_required && predictionInput.value !== "") {
          body.prediction = parseInt(predictionInput.value, 10);
        }
        window.MX.fetchJSON(app.getAttribute("data-api-base") + attempt.id + "/submit", { method: "POST", body: body })
          .then(function (res) {
            if (res.ok || res.status === 409) {
              finished = true;
              clearStore();
              window.location.assign(app.getAttribute("data-result-url") + attempt.id);
            } else {
              submitting = false;
              if (res.data && res.data.error && res.data.error.field === "prediction") {
                showPredictionError(true);
                predictionInput.focus();
              }
              showAlert((res.data && res.data.error && res.data.error.message) || msg("error"));
            }
          }, function () {
            showState(msg("waiting"), "warn");
            setTimeout(trySubmit, 2000);
          });
      });
    };
    trySubmit();
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset[data-question-id]");
    if (fieldset) { queue(fieldset.getAttribute("data-question-id")); updateNav(); }
  });
  form.addEventListener("click", function (event) {
    var flag = event.target.closest("[data-flag]");
    if (!flag) { return; }
    var id = flag.getAttribute("data-flag");
    if (flags[id]) { delete flags[id]; } else { flags[id] = true; }
    flag.setAttribute("aria-pressed", flags[id] ? "true" : "false");
    persist();
    updateNav();
  });
  predictionInput.addEventListener("input", function () {
    if (predictionInput.value !== "") { showPredictionError(false); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    showSummary();
  });
  document.getElementById("confirm-submit").addEventListener("click", function () {
    if (predictionMissing()) {
      showPredictionError(true);
      predictionInput.focus();
      return;
    }
    submit(false);
  });
  document.getElementById("cancel-submit").addEventListener("click", function () {
    summary.classList.add("d-none");
    document.getElementById("submit-quiz").focus();
  });
  window.addEventListener("online", function () { flush(); });
  window.addEventListener("beforeunload", function (event) {
    if (attempt && !finished) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  window.MX.fetchJSON(app.getAttribute("data-start-url"), { method: "POST", body: {} })
    .then(function (res) {
      document.getElementById("quiz-loading").classList.add("d-none");
      if (!res.ok) {
        showAlert((res.data && res.data.error && res.data.error.message) || msg("error"));
        return;
      }
      attempt = res.data;
      if (attempt.status !== "in_progress") {
        window.location.assign(app.getAttribute("data-result-url") + attempt.id);
        return;
      }
      restore();
      syncClock(attempt.seconds_remaining);
      render(attempt.questions, attempt.answers);
      predictionBlock.classList.toggle("d-none", !attempt.prediction_required);
      predictionInput.required = !!attempt.prediction_required;
      form.classList.remove("d-none");
      if (hasPending()) { showState(msg("pending"), "warn"); flush(); }
      tick();
      setInterval(tick, 1000);
    }, function () {
      showAlert(msg("offline"));
    });
})();

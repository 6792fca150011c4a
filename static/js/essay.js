// The writing contest editor: word counter, debounced autosave with a sequence number, an
// offline queue in localStorage, undo from kept versions, photos, consent, submit and receipt.
// Feedback appears beside the control that caused it (submit, photo, consent). A chosen photo
// is shrunk in the browser to at most 2,048 px (canvas), then uploaded at once with a progress
// bar; the same photo chosen twice while it uploads goes up once, and a failure is always said.
// The server is the judge of time and of order: a save carries `seq`, and an older save never
// overwrites a newer one, so a save sent late from the queue cannot undo newer typing.
(function () {
  "use strict";
  var root = document.getElementById("essay-editor");
  if (!root) { return; }
  var d = root.dataset;
  var title = document.getElementById("essay-title");
  var body = document.getElementById("essay-body");
  var wordsEl = document.getElementById("essay-words");
  var wordsHint = document.getElementById("essay-words-hint");
  var stateEl = document.getElementById("essay-save-state");
  var alertEl = document.getElementById("essay-alert");
  var receipt = document.getElementById("essay-receipt");
  var submitBtn = document.getElementById("essay-submit");
  var withdrawBtn = document.getElementById("essay-withdraw");
  var versionsBox = document.getElementById("essay-versions");
  var versionList = document.getElementById("essay-version-list");
  var photoList = document.getElementById("essay-photo-list");
  var consentStudent = document.getElementById("essay-consent-student");
  var consentParent = document.getElementById("essay-consent-parent");
  var submitHint = document.getElementById("essay-submit-hint");
  var submitFeedback = document.getElementById("essay-submit-feedback");
  var consentFeedback = document.getElementById("essay-consent-feedback");
  var photoFeedback = document.getElementById("essay-photo-feedback");
  var photoProgress = document.getElementById("essay-photo-progress");
  var fileInput = document.getElementById("essay-photo-file");
  var captionInput = document.getElementById("essay-photo-caption");
  var maxPhotos = parseInt(d.maxPhotos, 10) || 0;
  var MAX_SIDE = 2048;
  var MAX_BYTES = 5 * 1024 * 1024;
  var minWords = parseInt(d.minWords, 10) || 0;
  var maxWords = parseInt(d.maxWords, 10) || 0;
  var storeKey = "mx-essay-" + d.userId + "-" + d.roundId;
  var entry = null;
  var lastSeq = 0;
  var timer = null;
  var inFlight = null;
  var frozen = d.open !== "true";
  var typedHere = false;  // typing began on this page (perhaps before the entry had loaded)
  var DEBOUNCE_MS = 1200;
  var RETRY_MS = 5000;

  function countWords(text) {
    var m = text.trim().match(/\S+/g);
    return m ? m.length : 0;
  }
  function showWords() {
    var n = countWords(body.value);
    wordsEl.textContent = n;
    var cls = "text-success", hint = d.msgWordsOk;
    if (n < minWords) { cls = "text-warning"; hint = d.msgWordsShort; }
    if (maxWords && n > maxWords) { cls = "text-danger"; hint = d.msgWordsLong; }
    wordsEl.className = "fw-semibold " + cls;
    wordsHint.textContent = hint;
    showSubmittable();
  }
  // The submit button is usable only within the word limits; the reason is said beside it.
  function wordsBlock() {
    var n = countWords(body.value);
    if (n < minWords) { return d.msgSubmitShort; }
    if (maxWords && n > maxWords) { return d.msgSubmitLong; }
    return "";
  }
  function showSubmittable() {
    var reason = frozen ? "" : wordsBlock();
    submitBtn.disabled = frozen || !!reason;
    submitHint.textContent = reason;
  }
  function say(el, message, cls) {
    el.textContent = message || "";
    el.className = el.className.replace(/\btext-(danger|success|body-secondary)\b/g, "").trim() + " " + (cls || "text-danger");
  }
  function errorOf(res) {
    return res && res.data && res.data.error ? res.data.error.message : d.msgNetwork;
  }
  function setState(text, cls) {
    stateEl.textContent = text;
    stateEl.className = "small " + (cls || "text-muted");
  }
  function showAlert(message) {
    alertEl.textContent = message || "";
    alertEl.classList.toggle("d-none", !message);
  }
  function pending() {
    try { return JSON.parse(window.localStorage.getItem(storeKey) || "null"); } catch (e) { return null; }
  }
  function remember(item) {
    try { window.localStorage.setItem(storeKey, JSON.stringify(item)); } catch (e) { /* storage full: server saves still work */ }
  }
  function forget(seq) {
    var item = pending();
    if (item && item.seq <= seq) { window.localStorage.removeItem(storeKey); }
  }
  function nextSeq() {
    lastSeq = Math.max(lastSeq + 1, Date.now());
    return lastSeq;
  }
  function entriesUrl(suffix) {
    return d.entriesBase + "/" + entry.id + suffix;
  }
  function freeze(on) {
    frozen = on;
    title.readOnly = on;
    body.readOnly = on;
    showSubmittable();
    document.querySelectorAll("#essay-photo-form input, .essay-photo-delete")
      .forEach(function (el) { el.disabled = on; });
  }
  function showReceipt(data) {
    if (data) {
      document.getElementById("essay-receipt-code").textContent = data.code;
      document.getElementById("essay-receipt-time").textContent =
        new Date(data.submitted_at).toLocaleString(document.documentElement.lang || "vi");
    }
    receipt.classList.toggle("d-none", !data);
  }
  function applyEntry(item) {
    entry = item;
    if (!item) { return; }
    lastSeq = Math.max(lastSeq, item.seq || 0);
    var submitted = item.status === "submitted";
    showReceipt(item.receipt);
    withdrawBtn.classList.toggle("d-none", !(submitted && d.allowWithdraw === "true" && d.open === "true"));
    if (submitted || item.status === "disqualified" || d.open !== "true") { freeze(true); }
    else { freeze(false); }
  }

  // Saving -------------------------------------------------------------------------------------
  function queueSave() {
    if (frozen) { return; }
    typedHere = true;
    remember({ title: title.value, body: body.value, seq: nextSeq() });
    setState(d.msgUnsaved);
    window.clearTimeout(timer);
    timer = window.setTimeout(save, DEBOUNCE_MS);
  }
  function save() {
    window.clearTimeout(timer);
    var item = pending();
    if (!item) { return Promise.resolve(true); }
    if (inFlight) { return inFlight.then(save); }
    if (!navigator.onLine) { setState(d.msgOffline, "text-warning"); return Promise.resolve(false); }
    setState(d.msgSaving);
    inFlight = window.MX.fetchJSON(d.entryUrl, { method: "PUT", body: item })
      .then(function (res) {
        inFlight = null;
        if (res.ok) {
          applyEntry(res.data.entry);
          forget(item.seq);
          if (!pending()) {
            setState(d.msgSaved + " " + new Date().toLocaleTimeString(document.documentElement.lang || "vi", { hour: "2-digit", minute: "2-digit" }), "text-success");
          } else { timer = window.setTimeout(save, 200); }
          return true;
        }
        var message = res.data && res.data.error ? res.data.error.message : d.msgFailed;
        if (res.status === 409 || res.status === 400 || res.status === 403) {
          showAlert(message);
          setState(d.msgUnsaved, "text-danger");
          if (res.status === 409) { freeze(true); }
          return false;
        }
        setState(d.msgFailed, "text-warning");
        timer = window.setTimeout(save, RETRY_MS);
        return false;
      })
      .catch(function () {
        inFlight = null;
        setState(d.msgOffline, "text-warning");
        timer = window.setTimeout(save, RETRY_MS);
        return false;
      });
    return inFlight;
  }

  // Undo ---------------------------------------------------------------------------------------
  function loadVersions() {
    if (!entry) { versionList.innerHTML = ""; versionList.appendChild(li(d.msgNoVersions)); return; }
    window.MX.fetchJSON(entriesUrl("/versions")).then(function (res) {
      versionList.innerHTML = "";
      if (!res.ok || !res.data.length) { versionList.appendChild(li(d.msgNoVersions)); return; }
      res.data.forEach(function (v) {
        var item = li(new Date(v.saved_at).toLocaleString(document.documentElement.lang || "vi") + " · " + v.word_count + " " + d.msgWords + " ");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-link btn-sm p-0 ms-2";
        button.textContent = d.msgRestore;
        button.addEventListener("click", function () {
          if (frozen || !window.confirm(d.msgRestoreConfirm)) { return; }
          title.value = v.title;
          body.value = v.body;
          showWords();
          queueSave();
        });
        item.appendChild(button);
        versionList.appendChild(item);
      });
    });
  }
  function li(text) {
    var item = document.createElement("li");
    item.className = "list-group-item px-0";
    item.textContent = text;
    return item;
  }

  // Photos -------------------------------------------------------------------------------------
  function ensureEntry() {
    if (entry) { return Promise.resolve(entry); }
    remember({ title: title.value, body: body.value, seq: nextSeq() });
    return save().then(function () { return entry; });
  }
  function addPhoto(photo) {
    var item = document.createElement("li");
    item.className = "col-6 col-md-4";
    item.dataset.photoId = photo.id;
    var img = document.createElement("img");
    img.src = photo.url;
    img.alt = photo.caption || "";
    img.className = "img-fluid rounded";
    var cap = document.createElement("div");
    cap.className = "small";
    cap.textContent = photo.caption;
    var del = document.createElement("button");
    del.type = "button";
    del.className = "btn btn-link btn-sm p-0 text-danger essay-photo-delete";
    del.textContent = d.msgDelete;
    item.appendChild(img); item.appendChild(cap); item.appendChild(del);
    photoList.appendChild(item);
  }
  // Shrink a photo to at most MAX_SIDE pixels on its longer side (JPEG); small ones go as they are.
  function shrink(file) {
    if (!window.createImageBitmap) { return Promise.resolve(file); }
    return window.createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size <= MAX_BYTES) { return file; }
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // transparent PNG areas become white, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.88);
      });
    }).catch(function () { return file; });  // the server says whether it is a photo
  }
  // XMLHttpRequest, not fetch: only it reports upload progress.
  function send(url, form, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", window.MX.csrfToken());
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { onProgress(Math.round(event.loaded / event.total * 100)); }
      });
      xhr.addEventListener("load", function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, data: data });
      });
      xhr.addEventListener("error", function () { resolve({ ok: false, status: 0, data: null }); });
      xhr.send(form);
    });
  }
  var uploading = null;   // the photo on its way up ("name:size:modified")
  var uploaded = {};      // photos added from this page, by the same key, so a repeat is ignored
  function photoKey(file) { return file.name + ":" + file.size + ":" + file.lastModified; }
  function progress(value) {
    photoProgress.classList.toggle("d-none", value === null);
    photoProgress.value = value || 0;
  }
  function uploadChosen() {
    var file = fileInput.files[0];
    if (!file || frozen) { return; }
    var key = photoKey(file);
    if (uploading === key || uploaded[key]) { return; }  // a double tap: the same photo, once
    if (uploading) { say(photoFeedback, d.msgPhotoUploading, "text-body-secondary"); return; }
    if (photoList.children.length >= maxPhotos) { say(photoFeedback, d.msgPhotoTooMany); fileInput.value = ""; return; }
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) { say(photoFeedback, d.msgPhotoType); fileInput.value = ""; return; }
    uploading = key;
    say(photoFeedback, d.msgPhotoPreparing, "text-body-secondary");
    progress(0);
    Promise.all([shrink(file), ensureEntry()]).then(function (ready) {
      if (!ready[1]) { return { ok: false, status: 0, data: null }; }
      var form = new FormData();
      form.append("file", ready[0], ready[0].name);
      form.append("caption", captionInput.value);
      say(photoFeedback, d.msgPhotoUploading, "text-body-secondary");
      return send(entriesUrl("/photos"), form, progress);
    }).then(function (res) {
      uploading = null;
      progress(null);
      if (res.ok) {
        uploaded[key] = res.data.id;
        addPhoto(res.data);
        captionInput.value = "";
        fileInput.value = "";
        say(photoFeedback, d.msgPhotoUploaded, "text-success");
      } else {
        fileInput.value = "";  // so choosing the same photo again starts a new upload
        say(photoFeedback, res.data && res.data.error ? res.data.error.message : d.msgPhotoFailed);
      }
    }).catch(function () {
      uploading = null;
      progress(null);
      fileInput.value = "";
      say(photoFeedback, d.msgPhotoFailed);
    });
  }
  if (fileInput) {
    fileInput.addEventListener("change", uploadChosen);
    photoList.addEventListener("click", function (event) {
      var button = event.target.closest(".essay-photo-delete");
      if (!button || frozen || !entry) { return; }
      var item = button.closest("li");
      window.MX.fetchJSON(entriesUrl("/photos/" + item.dataset.photoId), { method: "DELETE" }).then(function (res) {
        if (!res.ok) { say(photoFeedback, errorOf(res)); return; }
        Object.keys(uploaded).forEach(function (k) { if (String(uploaded[k]) === item.dataset.photoId) { delete uploaded[k]; } });
        item.remove();
        say(photoFeedback, "");
      }).catch(function () { say(photoFeedback, d.msgNetwork); });
    });
  }

  // Consent, submit, withdraw --------------------------------------------------------------------
  function saveConsent() {
    say(consentFeedback, "");
    ensureEntry().then(function (current) {
      if (!current) { say(consentFeedback, d.msgNetwork); return; }
      return window.MX.fetchJSON(entriesUrl("/consent"), {
        method: "PUT", body: { student: consentStudent.checked, parent: consentParent.checked }
      }).then(function (res) { if (!res.ok) { say(consentFeedback, errorOf(res)); } });
    }).catch(function () { say(consentFeedback, d.msgNetwork); });
  }
  consentStudent.addEventListener("change", saveConsent);
  consentParent.addEventListener("change", saveConsent);

  var submitting = false;
  submitBtn.addEventListener("click", function () {
    if (frozen || submitting || wordsBlock() || !window.confirm(d.msgSubmitConfirm)) { return; }
    submitting = true;
    submitBtn.disabled = true;
    say(submitFeedback, "");
    ensureEntry().then(function () { return save(); }).then(function () {
      if (!entry || pending()) { say(submitFeedback, d.msgNetwork); return; }
      return window.MX.fetchJSON(entriesUrl("/submit"), { method: "POST" }).then(function (res) {
        if (res.ok) {
          entry.status = "submitted";
          entry.receipt = res.data;
          applyEntry(entry);
        } else { say(submitFeedback, errorOf(res)); }
      });
    }).catch(function () { say(submitFeedback, d.msgNetwork); })
      .then(function () { submitting = false; showSubmittable(); });
  });
  withdrawBtn.addEventListener("click", function () {
    if (!entry || !window.confirm(d.msgWithdrawConfirm)) { return; }
    say(submitFeedback, "");
    window.MX.fetchJSON(entriesUrl("/withdraw"), { method: "POST" }).then(function (res) {
      if (res.ok) { applyEntry(res.data); showReceipt(null); } else { say(submitFeedback, errorOf(res)); }
    }).catch(function () { say(submitFeedback, d.msgNetwork); });
  });

  // Time left, from the server's clock (re-synced whenever the entry is loaded). --------------
  var timeLeft = document.getElementById("essay-time-left");
  var deadline = null;
  function showTimeLeft() {
    if (deadline === null) { return; }
    var seconds = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
    if (seconds <= 0) {
      timeLeft.textContent = "";
      if (!frozen && d.open === "true") { d.open = "false"; freeze(true); showAlert(d.msgClosed); }
      return;
    }
    var days = Math.floor(seconds / 86400);
    var hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var text = days ? days + " " + d.msgDays + " " + hours + " " + d.msgHours
      : hours ? hours + " " + d.msgHours + " " + minutes + " " + d.msgMinutes
      : Math.max(1, minutes) + " " + d.msgMinutes;
    timeLeft.textContent = d.msgTimeLeft + " " + text;
    timeLeft.className = "small mb-2 " + (seconds < 600 ? "text-danger fw-semibold" : "text-muted");
  }
  window.setInterval(showTimeLeft, 15000);

  // Start: the server's entry, then any newer text left in this browser's queue. ---------------
  title.addEventListener("input", queueSave);
  body.addEventListener("input", function () { showWords(); queueSave(); });
  versionsBox.addEventListener("toggle", function () { if (versionsBox.open) { loadVersions(); } });
  window.addEventListener("online", function () { save(); });
  window.addEventListener("offline", function () { if (pending()) { setState(d.msgOffline, "text-warning"); } });
  window.addEventListener("beforeunload", function (event) {
    if (pending() && !frozen) { event.preventDefault(); event.returnValue = ""; }
  });
  // On a slow phone the student may type before this script has run: no input event reached
  // us, so compare the fields with what the server rendered and save what differs.
  if (!frozen && (title.value !== title.defaultValue || body.value !== body.defaultValue)) { queueSave(); }
  window.MX.fetchJSON(d.entryUrl).then(function (res) {
    if (!res.ok) { return; }
    if (res.data.round.is_open) {
      deadline = Date.now() + res.data.round.seconds_remaining * 1000;
      showTimeLeft();
    }
    var serverSeq = res.data.entry ? res.data.entry.seq : 0;
    // A save that finished while this page was loading may already hold a newer entry.
    if (!entry || serverSeq >= entry.seq) { applyEntry(res.data.entry); }
    var item = pending();
    if (item && !frozen && item.seq > serverSeq) {
      // Text this browser has not sent yet (offline earlier, or typed while the page loaded).
      if (!typedHere) { title.value = item.title; body.value = item.body; }
      lastSeq = Math.max(lastSeq, item.seq);
      save();
    } else if (item && !typedHere) {
      window.localStorage.removeItem(storeKey);
    }
    showWords();
  }).catch(function () {
    var item = pending();
    if (item && !typedHere) { title.value = item.title; body.value = item.body; }
    if (item) { setState(d.msgOffline, "text-warning"); }
    showWords();
  });
  showWords();
})();

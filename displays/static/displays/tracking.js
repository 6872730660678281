/* A client's phone: live status, position and estimate; a signal when called; giving the ticket up.
   Every sentence comes from the server (the payload's status_label, actions and alert, or the page's
   own markup); this file only decides what to show. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("tracking-config").textContent);
  const el = (id) => document.getElementById(id);
  const root = el("tracking");
  let audio = null;       // the AudioContext, made or resumed inside the tap on «Включить оповещение»
  let lastCalledAt = null;

  // Browsers keep sound and vibration locked until the user touches the page
  // (Chromium's autoplay policy): both are unlocked inside the tap itself.
  function tone(frequency, seconds, delay) {
    if (!audio) return;
    const start = audio.currentTime + (delay || 0);
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.4, start);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + seconds);
    osc.connect(gain).connect(audio.destination);
    osc.start(start);
    osc.stop(start + seconds);
  }

  function enableAlert() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    try {
      if (!audio && Ctx) audio = new Ctx();
      if (audio && audio.state !== "running") audio.resume();
      tone(660, 0.25);  // a short confirmation: the phone can sound
    } catch (e) { /* no sound on this phone: vibration may still work */ }
    if (navigator.vibrate) navigator.vibrate(150);
    root.dataset.alert = "on";
    el("alert-on").hidden = true;
    el("alert-how").hidden = true;
    el("alert-done").hidden = false;
  }

  function signal() {
    // A page nobody touched can neither sound nor vibrate; trying only logs the browser's refusal
    // («Blocked call to navigator.vibrate») on the client's phone.
    if (navigator.userActivation && !navigator.userActivation.hasBeenActive) return;
    if (navigator.vibrate) navigator.vibrate([300, 150, 300, 150, 600]);
    try {
      if (!audio) {
        // Not enabled: a context made now sounds only if the page was touched before.
        const Ctx = window.AudioContext || window.webkitAudioContext;
        if (Ctx) audio = new Ctx();
      }
      if (audio && audio.state !== "running") audio.resume();
      tone(880, 0.6);
      tone(880, 0.6, 0.8);
    } catch (e) { /* no sound on this phone */ }
  }

  // The rating: "open" until sent, then "rated"; "closed" once FEEDBACK_HOURS have passed (from the server).
  let feedbackState = config.feedback;
  let rating = 0;
  const stars = Array.from(document.querySelectorAll("#feedback .star"));

  function renderFeedback(status) {
    el("feedback").hidden = status !== "done" || feedbackState === "closed";
    el("feedback-ask").hidden = feedbackState !== "open";
    el("feedback-thanks").hidden = feedbackState !== "rated";
  }

  function selectRating(n) {
    rating = n;
    stars.forEach((b) => b.setAttribute("aria-pressed", String(Number(b.dataset.rating) === n)));
    el("feedback-send").disabled = !n;
  }

  function feedbackError(text) {
    el("feedback-error").textContent = text;
    el("feedback-error").hidden = !text;
  }

  async function sendFeedback() {
    if (!rating) return;
    el("feedback-send").disabled = true;
    feedbackError("");
    try {
      const response = await fetch(config.feedbackUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": fmt.csrf(), Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ rating, comment: el("feedback-comment").value }),
      });
      if (response.ok) {
        feedbackState = "rated";
      } else {
        const body = await response.json();
        feedbackError(body.error ? body.error.message : el("cancel-offline").textContent);
        if (response.status === 409 && body.error && body.error.code === "already_rated") feedbackState = "rated";
        if (response.status === 410) feedbackState = "closed-shown";
        el("feedback-send").disabled = false;
      }
    } catch (e) {
      feedbackError(el("cancel-offline").textContent);
      el("feedback-send").disabled = false;
    }
    renderFeedback(root.dataset.status);
  }

  stars.forEach((b) => b.addEventListener("click", () => selectRating(Number(b.dataset.rating))));
  el("feedback-send").addEventListener("click", sendFeedback);

  function render(state) {
    const wasCalled = root.dataset.status === "called";
    root.dataset.status = state.status;
    el("status").textContent = state.status_label;
    el("service").textContent = state.service;
    const atCounter = state.status === "called" || state.status === "serving";
    el("called").hidden = !atCounter;
    el("counter").textContent = state.counter || "";
    el("waiting").hidden = state.status !== "waiting";
    el("position").textContent = fmt.peopleText(state.position);
    // No position: postponed by the operator, outside the queue until it returns (at returns_at).
    el("estimate").textContent =
      state.position === null ? "—" : state.position ? fmt.waitText(state.estimated_wait_seconds) : el("estimate").dataset.next;
    const returns = state.returns_at ? new Date(state.returns_at) : null;
    el("returns-at").textContent = returns
      ? returns.toLocaleTimeString("ru-RU", { timeZone: config.timezone, hour: "2-digit", minute: "2-digit" })
      : "";
    el("returns").hidden = !returns;
    el("place").hidden = !!returns;
    // No open counter serves the service: no wait to promise.
    el("no-counter").hidden = !state.no_open_counter;
    el("wait").hidden = !!returns || !!state.no_open_counter;
    // The alert and its promise only while a call is still ahead.
    el("alert").hidden = !state.alert;
    const mayCancel = (state.actions || []).includes("cancel");
    el("cancel").hidden = !mayCancel;
    if (!mayCancel) el("cancel-confirm").hidden = true;
    renderFeedback(state.status);
    if (state.status === "called" && (!wasCalled || state.counter !== lastCalledAt)) signal();
    lastCalledAt = state.status === "called" ? state.counter : null;
  }

  function showError(text) {
    el("cancel-error").textContent = text;
    el("cancel-error").hidden = !text;
  }

  async function giveUp() {
    el("cancel-yes").disabled = true;
    showError("");
    try {
      const response = await fetch(config.cancelUrl, {
        method: "DELETE",
        headers: { "X-CSRFToken": fmt.csrf(), Accept: "application/json" },
        credentials: "same-origin",
      });
      const body = await response.json();
      if (response.ok) {
        el("cancel-confirm").hidden = true;
        render(body);
      } else {
        showError(body.error ? body.error.message : el("cancel-offline").textContent);
        el("cancel-confirm").hidden = true;
        el("cancel-ask").hidden = false;
      }
    } catch (e) {
      showError(el("cancel-offline").textContent);
    } finally {
      el("cancel-yes").disabled = false;
    }
  }

  el("alert-on").addEventListener("click", enableAlert);
  el("cancel-ask").addEventListener("click", () => {
    showError("");
    el("cancel-confirm").hidden = false;
    el("cancel-ask").hidden = true;
    el("cancel-no").focus();
  });
  el("cancel-no").addEventListener("click", () => {
    el("cancel-confirm").hidden = true;
    el("cancel-ask").hidden = false;
  });
  el("cancel-yes").addEventListener("click", giveUp);

  function onMessage(message) {
    if (message.type === "snapshot" || message.type === "ticket.status") render(message);
  }

  function onStatus(connected) {
    el("offline").hidden = connected;
    root.dataset.connected = connected ? "1" : "0";
  }

  new LiveSocket(config.socket, { onMessage, onStatus }).start();
})();

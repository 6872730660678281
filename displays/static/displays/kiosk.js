/* Kiosk: one tap, one ticket; printed on an 80 mm roll; back to start by itself. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("kiosk-config").textContent);
  const el = (id) => document.getElementById(id);
  const buttons = () => Array.from(document.querySelectorAll("button.service"));
  let busy = false;
  let priority = false;
  let returnTimer = null;
  let idleTimer = null;
  let printedToken = null; // the ticket last sent to the printer: each ticket prints once
  let current = null; // the ticket on screen
  let office = { open: true, issuing: true, hours: [], nextOpening: el("closed-next").textContent };
  let connected = false;
  const serving = {}; // per service code: how many open counters serve it (from the socket)
  const unserved = (code) => serving[code] === 0;
  const announcer = new Announcer({ clipBase: config.clipBase, chime: false, voice: true });
  window.kioskAnnouncer = announcer; // for diagnostics and tests

  function showError(text) {
    el("error").textContent = text;
    el("error").hidden = !text;
    if (text) setTimeout(() => { if (el("error").textContent === text) el("error").hidden = true; }, 8000);
  }

  // A tile takes a touch only when a ticket can come of it: connected, issuing, not busy, and a
  // counter serving the service (unless the office issues for unserved services too).
  function renderTiles() {
    const closed = !office.issuing;
    buttons().forEach((b) => {
      b.disabled = busy || closed || !connected || (!config.issueWithoutCounter && unserved(b.dataset.service));
    });
  }

  function setBusy(value) {
    busy = value;
    renderTiles();
  }

  function renderClosed() {
    const closed = !office.issuing;
    el("closed").hidden = !closed;
    el("closed-title").textContent = office.open
      ? "Выдача талонов на сегодня завершена"
      : "Офис закрыт";
    el("closed-next").textContent = office.nextOpening || "";
    el("closed-hours").innerHTML = (office.hours || [])
      .map((d) => `<li>${d.label}: ${d.hours ? d.hours.replace("-", "–") : "выходной"}</li>`).join("");
    renderTiles();
  }

  // The same estimate the ticket shows: the wait of a ticket taken now; none where no counter serves.
  function estimateText(code, waiting, seconds) {
    if (unserved(code)) return config.noCounterText;
    return waiting ? "ожидание " + fmt.waitText(seconds) : "без очереди";
  }

  function setWaiting(code, n) {
    const cell = document.querySelector(`[data-waiting="${code}"]`);
    if (cell) cell.textContent = n;
    const count = document.querySelector(`[data-count="${code}"]`);
    if (count) count.hidden = !n;
  }

  // Read once more only when an issue was refused as «office closed»: the hours may have just passed.
  async function refreshEstimates() {
    try {
      const response = await fetch(config.queueUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const queue = await response.json();
      office.open = queue.open;
      office.issuing = queue.issuing;
      office.nextOpening = queue.next_opening_text;
      for (const s of queue.services) {
        setWaiting(s.code, s.waiting);
        serving[s.code] = s.open_counters;
        const estimate = document.querySelector(`[data-estimate="${s.code}"]`);
        if (estimate) estimate.textContent = estimateText(s.code, s.waiting, s.estimated_wait_seconds);
      }
      renderClosed();
    } catch (e) {
      /* the socket's status shows the outage */
    }
  }

  function setEstimates(message) {
    Object.assign(serving, message.serving || {});
    for (const [code, n] of Object.entries(message.waiting)) {
      setWaiting(code, n);
      const estimate = document.querySelector(`[data-estimate="${code}"]`);
      if (estimate && message.estimates && code in message.estimates) {
        estimate.textContent = estimateText(code, n, message.estimates[code]);
      }
    }
    renderTiles();
  }

  // Everything the start screen shows arrives on the socket: counts and estimates in every
  // queue.updated, opening hours in the snapshot. Nothing is read again after a message.
  function onMessage(message) {
    if (message.type === "snapshot") {
      office.open = message.open;
      office.issuing = message.issuing;
      office.hours = message.office.hours;
      office.nextOpening = message.office.next_opening;
      setEstimates(message);
      renderClosed();
    } else if (message.type === "queue.updated") {
      setEstimates(message);
    }
  }

  // Offline, the whole screen says so and no tile takes a touch: the client must not learn of
  // the outage from an error after tapping.
  function renderOffline() {
    // A ticket just issued stays on screen (it is printed already); the start screen is covered.
    el("offline").hidden = connected || !!current;
  }

  function onStatus(value) {
    connected = value;
    renderOffline();
    el("kiosk").dataset.connected = connected ? "1" : "0";
    if (!connected) closeConfirm();
    renderTiles();
  }

  // A priority ticket is confirmed before it is issued.
  let confirming = null;
  function take(button) {
    if (busy) return;
    if (priority) {
      confirming = button.dataset.service;
      el("confirm-service").textContent = button.dataset.name;
      el("confirm").hidden = false;
      el("confirm-yes").focus();
      return;
    }
    issue(button.dataset.service);
  }

  function closeConfirm() {
    confirming = null;
    el("confirm").hidden = true;
  }

  // One touch, one key: a retry after a lost answer (a restart, a dropped connection)
  // sends the same key, and the server answers with the ticket it already issued.
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // randomUUID needs a secure context; a kiosk on plain http on the LAN still has getRandomValues.
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  const RETRY_DELAYS_MS = [500, 1000, 2000, 4000];
  const RETRY_STATUSES = [502, 503, 504]; // the proxy's answer while the server restarts

  async function postOnce(url, body) {
    const key = newKey();
    for (let attempt = 0; ; attempt += 1) {
      let response = null;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-CSRFToken": fmt.csrf(),
            "Idempotency-Key": key,
          },
          credentials: "same-origin",
          body: JSON.stringify(body),
        });
      } catch (e) {
        if (attempt >= RETRY_DELAYS_MS.length) throw e;
      }
      if (response && (!RETRY_STATUSES.includes(response.status) || attempt >= RETRY_DELAYS_MS.length)) return response;
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
    }
  }

  async function issue(service) {
    if (busy) return; // a double tap gives one ticket
    setBusy(true);
    showError("");
    try {
      const response = await postOnce(config.issueUrl, { service, priority });
      const body = await response.json().catch(() => null);
      // 200: a retry of this touch, answered with the ticket already issued.
      if ((response.status === 201 || response.status === 200) && body) {
        showTicket(body);
        return;
      }
      const message = body && body.error ? body.error.message : "Не удалось выдать талон. Обратитесь к администратору.";
      showError(message);
      if (body && body.error && body.error.code === "office_closed") refreshEstimates();
      setBusy(false);
    } catch (e) {
      showError("Нет связи с сервером. Подождите немного и попробуйте снова.");
      setBusy(false);
    }
  }

  // `@page { size: 80mm auto }` is invalid CSS, so the page height is measured and set
  // here. The rule is replaced through the CSSOM, which the CSP allows (a <style> would not be).
  const MM_PER_PX = 25.4 / 96;
  const PAGE_MARGIN_MM = 3;
  function sizePrintedPage() {
    const height = el("print-ticket").getBoundingClientRect().height * MM_PER_PX;
    const pageHeight = Math.ceil(height + 2 * PAGE_MARGIN_MM + 1);
    const rule = `@page { size: 80mm ${pageHeight}mm; margin: ${PAGE_MARGIN_MM}mm; }`;
    for (const sheet of Array.from(document.styleSheets)) {
      let rules;
      try { rules = sheet.cssRules; } catch (e) { continue; }
      for (let i = rules.length - 1; i >= 0; i -= 1) {
        if (rules[i].type === CSSRule.PAGE_RULE) sheet.deleteRule(i);
      }
    }
    document.styleSheets[0].insertRule(rule, document.styleSheets[0].cssRules.length);
    document.body.dataset.pageHeightMm = String(pageHeight);
  }

  // Print when the QR code is in, once per ticket: a cached image may report `complete`
  // at once and still fire `load` later, and a failed image must not block the ticket.
  function printOnce(token, qr) {
    const img = el("p-qr");
    let guard = null;
    const go = () => {
      img.onload = img.onerror = null;
      clearTimeout(guard);
      if (printedToken === token) return;
      printedToken = token;
      sizePrintedPage();
      window.print();
    };
    img.onload = go;
    img.onerror = go;
    guard = setTimeout(go, 3000);
    img.src = qr;
    if (img.complete && img.naturalWidth) go();
  }

  // The tracking page's address, typed by those who cannot scan the QR code (without the scheme).
  function trackingAddress(token) {
    const base = config.publicUrl || window.location.origin;
    return `${base}/t/${token}/`.replace(/^https?:\/\//, "");
  }

  function showTicket(ticket) {
    current = ticket;
    const noCounter = unserved(ticket.service);
    const issued = new Date(ticket.issued_at);
    const qr = `/t/${encodeURIComponent(ticket.token)}/qr.svg`;
    el("t-number").textContent = ticket.number;
    el("t-service").textContent = ticket.service_name;
    el("t-priority").hidden = !ticket.priority;
    // A booked ticket says when it will be called: from its slot's start, ahead of the queue.
    const booked = ticket.booked_label ? `${ticket.booked_label}: вас вызовут, как только начнётся время записи` : "";
    el("t-booked").textContent = booked;
    el("t-booked").hidden = !booked;
    el("p-booked").textContent = ticket.booked_label || "";
    el("p-booked").hidden = !ticket.booked_label;
    el("ticket").classList.toggle("is-priority", !!ticket.priority);
    el("t-ahead").textContent = fmt.peopleText(ticket.position);
    el("t-wait").textContent = noCounter
      ? "—"
      : ticket.position ? fmt.waitText(ticket.estimated_wait_seconds) : "вас вызовут первым";
    el("t-no-counter").textContent = noCounter ? config.noCounterText : "";
    el("t-no-counter").hidden = !noCounter;
    el("p-no-counter").textContent = noCounter ? config.noCounterText : "";
    el("p-no-counter").hidden = !noCounter;
    el("p-link").textContent = trackingAddress(ticket.token);
    el("t-qr").src = qr;
    el("p-number").textContent = ticket.number;
    el("p-priority").hidden = !ticket.priority;
    el("p-service").textContent = ticket.service_name;
    el("p-time").textContent = issued.toLocaleString("ru-RU", { timeZone: config.timezone, day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
    el("p-ahead").textContent = fmt.peopleText(ticket.position);
    el("p-wait").textContent = el("t-wait").textContent;
    el("start").hidden = true;
    el("ticket").hidden = false;
    document.body.dataset.ticket = ticket.number;
    printOnce(ticket.token, qr);
    returnTimer = setTimeout(reset, config.returnAfterMs);
  }

  function russianVoice() {
    if (!window.speechSynthesis) return null;
    return window.speechSynthesis.getVoices().find((v) => /^ru/i.test(v.lang)) || null;
  }

  // A Russian speech voice reads the number and the service; without one (Debian's Chromium has
  // none) the product's own clips, as on the hall display, read «Талон А пятнадцать».
  function speak() {
    if (!current) return;
    const voice = russianVoice();
    if (voice) {
      window.speechSynthesis.cancel();
      const text = `Ваш талон ${window.spokenTicket(current.number)}. ${current.service_name}.`;
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = "ru-RU";
      utterance.voice = voice;
      utterance.rate = 0.9;
      window.speechSynthesis.speak(utterance);
    } else {
      announcer.unlock();
      announcer.announceTicket(current.number);
    }
    // Listening takes time: stay on this screen a little longer.
    clearTimeout(returnTimer);
    returnTimer = setTimeout(reset, config.returnAfterMs);
  }

  function setToggle(id, on) {
    el(id).setAttribute("aria-pressed", String(on));
  }

  function setContrast(on) {
    document.body.classList.toggle("contrast", on);
    setToggle("contrast", on);
  }

  // Check-in by a booking's code: a keypad, then the ticket like any other.
  const CODE_LENGTH = 6;
  let code = "";
  function renderCode() {
    el("keypad-code").textContent = code.padEnd(CODE_LENGTH, "·");
    el("keypad-code").dataset.code = code;
    el("keypad-go").disabled = busy || code.length !== CODE_LENGTH;
  }
  function keypadError(text) {
    el("keypad-error").textContent = text;
    el("keypad-error").hidden = !text;
  }
  function openKeypad() {
    if (busy) return;
    code = "";
    keypadError("");
    renderCode();
    el("keypad").hidden = false;
  }
  function closeKeypad() {
    if (!el("keypad")) return;
    el("keypad").hidden = true;
    code = "";
  }
  async function checkIn() {
    if (busy || code.length !== CODE_LENGTH) return;
    setBusy(true);
    renderCode();
    keypadError("");
    try {
      const response = await fetch(config.checkInUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": fmt.csrf() },
        credentials: "same-origin",
        body: JSON.stringify({ code }),
      });
      const body = await response.json().catch(() => null);
      if (response.status === 201 && body) {
        closeKeypad();
        showTicket(body);
        return;
      }
      // The server's words; after too_late the client takes an ordinary ticket on the start screen.
      keypadError(body && body.error ? body.error.message : "Не удалось получить талон. Обратитесь к администратору.");
      if (body && body.error && body.error.code === "too_late") {
        closeKeypad();
        showError(body.error.message);
      }
    } catch (e) {
      keypadError("Нет связи с сервером. Подождите немного и попробуйте снова.");
    }
    setBusy(false);
    renderCode();
  }

  // Back to the start for the next client: their choices (priority, large text) end with them.
  function reset() {
    clearTimeout(returnTimer);
    current = null;
    closeKeypad();
    el("ticket").hidden = true;
    el("start").hidden = false;
    closeConfirm();
    priority = false;
    setToggle("priority", false);
    setContrast(false);
    if (window.speechSynthesis) window.speechSynthesis.cancel();
    delete document.body.dataset.ticket;
    setBusy(false);
    renderClosed();
    renderOffline();
  }

  function touched() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => { if (!current) reset(); }, config.idleResetMs);
  }

  buttons().forEach((b) => b.addEventListener("click", () => take(b)));
  el("priority").addEventListener("click", () => {
    priority = !priority;
    setToggle("priority", priority);
  });
  el("contrast").addEventListener("click", () => setContrast(!document.body.classList.contains("contrast")));
  el("confirm-yes").addEventListener("click", () => {
    const service = confirming;
    closeConfirm();
    if (service) issue(service);
  });
  el("confirm-no").addEventListener("click", closeConfirm);
  el("done").addEventListener("click", reset);
  if (el("keypad")) {
    el("booked").addEventListener("click", openKeypad);
    document.querySelectorAll("#keypad [data-digit]").forEach((key) => key.addEventListener("click", () => {
      if (code.length < CODE_LENGTH) code += key.dataset.digit;
      keypadError("");
      renderCode();
    }));
    el("keypad-erase").addEventListener("click", () => { code = code.slice(0, -1); renderCode(); });
    el("keypad-clear").addEventListener("click", () => { code = ""; renderCode(); });
    el("keypad-back").addEventListener("click", closeKeypad);
    el("keypad-go").addEventListener("click", checkIn);
  }
  el("speak").addEventListener("click", speak);
  document.addEventListener("pointerdown", touched);

  function tick() {
    el("clock").textContent = new Date().toLocaleTimeString("ru-RU", { timeZone: config.timezone, hour: "2-digit", minute: "2-digit" });
  }
  tick();
  setInterval(tick, 10000);
  const socket = new LiveSocket(config.socket, { onMessage, onStatus }).start();
  setInterval(() => socket.send({ type: "sync" }), 60000);
})();

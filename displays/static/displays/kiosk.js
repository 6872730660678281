/* Kiosk: one tap, one ticket; printed on an 80 mm roll; back to start by itself. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("kiosk-config").textContent);
  const el = (id) => document.getElementById(id);
  const buttons = () => Array.from(document.querySelectorAll("button.service"));
  let busy = false;
  let priority = false;
  let returnTimer = null;
  let office = { open: true, issuing: true, hours: [] };

  function showError(text) {
    el("error").textContent = text;
    el("error").hidden = !text;
    if (text) setTimeout(() => { if (el("error").textContent === text) el("error").hidden = true; }, 8000);
  }

  function setBusy(value) {
    busy = value;
    buttons().forEach((b) => { b.disabled = value; });
  }

  function renderClosed() {
    const closed = !office.issuing;
    el("closed").hidden = !closed;
    el("closed-title").textContent = office.open
      ? "Выдача талонов на сегодня завершена"
      : "Офис закрыт";
    el("closed-hours").innerHTML = (office.hours || [])
      .map((d) => `<li>${d.label}: ${d.hours ? d.hours.replace("-", "–") : "выходной"}</li>`).join("");
    buttons().forEach((b) => { b.disabled = busy || closed; });
  }

  async function refreshEstimates() {
    try {
      const response = await fetch(config.queueUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const queue = await response.json();
      office.open = queue.open;
      office.issuing = queue.issuing;
      for (const s of queue.services) {
        const waiting = document.querySelector(`[data-waiting="${s.code}"]`);
        const estimate = document.querySelector(`[data-estimate="${s.code}"]`);
        if (waiting) waiting.textContent = s.waiting;
        if (estimate) estimate.textContent = s.waiting ? fmt.waitText(s.estimated_wait_seconds) : "без очереди";
      }
      renderClosed();
    } catch (e) {
      /* the socket's status shows the outage */
    }
  }

  let refreshTimer = null;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshEstimates, 300);
  }

  function onMessage(message) {
    if (message.type === "snapshot") {
      office = { open: message.open, issuing: message.issuing, hours: message.office.hours };
      for (const [code, n] of Object.entries(message.waiting)) {
        const cell = document.querySelector(`[data-waiting="${code}"]`);
        if (cell) cell.textContent = n;
      }
      renderClosed();
      scheduleRefresh();
    } else if (message.type === "queue.updated") {
      for (const [code, n] of Object.entries(message.waiting)) {
        const cell = document.querySelector(`[data-waiting="${code}"]`);
        if (cell) cell.textContent = n;
      }
      scheduleRefresh();
    }
  }

  function onStatus(connected) {
    el("offline").hidden = connected;
    el("kiosk").dataset.connected = connected ? "1" : "0";
  }

  async function take(service) {
    if (busy) return; // a double tap gives one ticket
    setBusy(true);
    showError("");
    try {
      const response = await fetch(config.issueUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": fmt.csrf() },
        credentials: "same-origin",
        body: JSON.stringify({ service, priority }),
      });
      const body = await response.json().catch(() => null);
      if (response.status === 201 && body) {
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

  function showTicket(ticket) {
    const issued = new Date(ticket.issued_at);
    const qr = `/t/${encodeURIComponent(ticket.token)}/qr.svg`;
    el("t-number").textContent = ticket.number;
    el("t-service").textContent = ticket.service_name;
    el("t-ahead").textContent = fmt.peopleText(ticket.position);
    el("t-wait").textContent = ticket.position ? fmt.waitText(ticket.estimated_wait_seconds) : "вас вызовут первым";
    el("t-qr").src = qr;
    el("p-number").textContent = ticket.number;
    el("p-service").textContent = ticket.service_name + (ticket.priority ? " (льготная категория)" : "");
    el("p-time").textContent = issued.toLocaleString("ru-RU", { timeZone: config.timezone, day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
    el("p-ahead").textContent = fmt.peopleText(ticket.position);
    el("p-wait").textContent = el("t-wait").textContent;
    el("p-qr").src = qr;
    el("start").hidden = true;
    el("ticket").hidden = false;
    document.body.dataset.ticket = ticket.number;
    const print = () => window.print();
    if (el("p-qr").complete) print(); else { el("p-qr").onload = print; el("p-qr").onerror = print; }
    returnTimer = setTimeout(reset, config.returnAfterMs);
  }

  function reset() {
    clearTimeout(returnTimer);
    el("ticket").hidden = true;
    el("start").hidden = false;
    priority = false;
    el("priority").setAttribute("aria-pressed", "false");
    delete document.body.dataset.ticket;
    setBusy(false);
    renderClosed();
  }

  buttons().forEach((b) => b.addEventListener("click", () => take(b.dataset.service)));
  el("priority").addEventListener("click", () => {
    priority = !priority;
    el("priority").setAttribute("aria-pressed", String(priority));
  });
  el("done").addEventListener("click", reset);

  function tick() {
    el("clock").textContent = new Date().toLocaleTimeString("ru-RU", { timeZone: config.timezone, hour: "2-digit", minute: "2-digit" });
  }
  tick();
  setInterval(tick, 10000);
  const socket = new LiveSocket(config.socket, { onMessage, onStatus }).start();
  setInterval(() => socket.send({ type: "sync" }), 60000);
  refreshEstimates();
})();

/* Operator workplace: actions through the REST API, live state over the operators socket. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("operator-config").textContent);
  const el = (id) => document.getElementById(id);
  // Labels and the actions allowed now come with the counter from the server (status_label, actions).
  let counter = null;
  let queue = { services: [], oldest: {} };
  let pending = false;

  function say(text, kind) {
    const box = el("message");
    box.textContent = text || "";
    box.hidden = !text;
    box.className = "message " + (kind || "info");
  }

  async function api(method, path, body) {
    const response = await fetch(config.api + path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": fmt.csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    return { status: response.status, data };
  }

  async function refresh() {
    try {
      const { status, data } = await api("GET", `counters/${config.counter}/`);
      if (status === 200) { counter = data; render(); }
      else if (data && data.error) say(data.error.message, "error");
    } catch (e) {
      say("Нет связи с сервером. Повторите действие через минуту.", "error");
    }
  }

  function phase() {
    if (!counter) return "closed";
    if (counter.ticket) return counter.ticket.status;
    return counter.state;
  }

  function render() {
    const current = phase();
    el("operator").dataset.state = current;
    el("state-badge").textContent = counter ? counter.status_label : "";
    el("state-badge").className = "badge " + (counter ? counter.state : "");
    const ticket = counter && counter.ticket;
    el("cur-number").textContent = ticket ? ticket.number : "—";
    el("cur-service").textContent = ticket ? ticket.service_name : "";
    el("cur-status").textContent = ticket ? ticket.status_label.toLowerCase() : "";
    const allowed = counter ? counter.actions : [];
    document.querySelectorAll("[data-action]").forEach((b) => {
      const action = b.dataset.action;
      b.disabled = pending || !allowed.includes(action);
      // Show either "break" or "resume", and either "open" or "close", not both.
      if (action === "resume") b.hidden = !(counter && counter.state === "break");
      if (action === "break") b.hidden = !!(counter && counter.state === "break");
      if (action === "open") b.hidden = !(counter && counter.state === "closed");
      if (action === "close") b.hidden = !!(counter && counter.state === "closed");
    });
    if (!allowed.includes("transfer")) el("transfer-panel").hidden = true;
    el("served").textContent = counter ? counter.today.served : 0;
    el("avg-service").textContent = counter && counter.today.avg_service_seconds !== null ? fmt.clock(counter.today.avg_service_seconds) : "—";
    renderQueue();
    tick();
  }

  function renderQueue() {
    const now = Date.now();
    el("queue").innerHTML = queue.services.map((s) => {
      const oldest = queue.oldest[s.code];
      const longest = oldest ? fmt.clock((now - Date.parse(oldest)) / 1000) : "—";
      return `<tr><td>${fmt.escapeHtml(s.name)}</td><td data-waiting="${fmt.escapeHtml(s.code)}">${s.waiting}</td><td>${longest}</td></tr>`;
    }).join("");
  }

  function tick() {
    const ticket = counter && counter.ticket;
    if (!ticket) { el("timer").textContent = "—"; return; }
    const since = Date.parse(ticket.started_at || ticket.called_at);
    el("timer").textContent = fmt.clock((Date.now() - since) / 1000);
  }

  const MESSAGES = {
    call: (r) => (r.status === 204 ? "Очередь пуста: ожидающих клиентов нет." : `Вызван талон ${r.data.number}.`),
    recall: () => "Повторный вызов отправлен на табло.",
    finish: () => "Обслуживание завершено.",
    "no-show": () => "Отмечено: клиент не явился.",
    postpone: () => "Талон отложен в конец очереди.",
    transfer: (r) => `Талон ${r.data.number} перенаправлен: ${r.data.service_name}.`,
  };

  async function act(action, extra) {
    if (pending) return;
    const ticket = counter && counter.ticket;
    let request;
    switch (action) {
      case "call": request = ["POST", `counters/${config.counter}/call-next/`]; break;
      case "break": request = ["POST", `counters/${config.counter}/state/`, { state: "break" }]; break;
      case "resume": case "open": request = ["POST", `counters/${config.counter}/state/`, { state: "open" }]; break;
      case "close": request = ["POST", `counters/${config.counter}/state/`, { state: "closed" }]; break;
      case "transfer": request = ["POST", `tickets/${ticket.id}/transfer/`, { counter: config.counter, ...extra }]; break;
      default: request = ["POST", `tickets/${ticket.id}/${action}/`, { counter: config.counter }];
    }
    pending = true;
    render();
    try {
      const result = await api(...request);
      if (result.status >= 400) {
        // A conflict (a manager closed the counter, another tab acted first): say why, then resync.
        say(result.data && result.data.error ? result.data.error.message : "Действие не выполнено.", "error");
      } else {
        say(MESSAGES[action] ? MESSAGES[action](result) : "", "info");
      }
    } catch (e) {
      say("Нет связи с сервером. Повторите действие через минуту.", "error");
    }
    pending = false;
    await refresh();
  }

  document.querySelectorAll("[data-action]").forEach((b) =>
    b.addEventListener("click", () => {
      if (b.dataset.action === "transfer") { el("transfer-panel").hidden = false; el("transfer-service").focus(); return; }
      act(b.dataset.action);
    })
  );
  el("transfer-panel").addEventListener("submit", (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    el("transfer-panel").hidden = true;
    act("transfer", { service: form.get("service"), position: form.get("position") });
  });
  el("transfer-cancel").addEventListener("click", () => { el("transfer-panel").hidden = true; });

  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) return;
    const button = Array.from(document.querySelectorAll(`[data-key="${e.code}"]`)).find((b) => !b.hidden && !b.disabled);
    if (button) { e.preventDefault(); button.click(); }
  });

  function onMessage(message) {
    switch (message.type) {
      case "snapshot":
        queue = { services: message.services, oldest: message.oldest };
        refresh();
        break;
      case "queue.updated":
        queue.services.forEach((s) => { s.waiting = message.waiting[s.code] ?? 0; });
        queue.oldest = message.oldest || {};
        renderQueue();
        break;
      case "ticket.called": case "ticket.cleared": case "ticket.started":
        if (message.counter === config.counterNumber) refresh();
        break;
      case "counter.updated":
        if (message.id === config.counter) refresh();
        break;
    }
  }

  function onStatus(connected, code) {
    // The session ended or the office was taken away: the page itself now
    // answers with the sign-in form or the refusal, so show that.
    if (code === 4401 || code === 4403) { window.location.reload(); return; }
    el("offline").hidden = connected;
    el("operator").dataset.connected = connected ? "1" : "0";
  }

  new LiveSocket(config.socket, { onMessage, onStatus }).start();
  setInterval(() => { tick(); renderQueue(); }, 1000);
  refresh();
})();

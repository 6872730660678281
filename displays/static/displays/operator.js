/* Operator workplace: actions through the REST API, live state over the operators socket.
   Labels, marks and allowed actions come from the server (the counter and its workplace);
   this file only renders them and sends what the operator chose. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("operator-config").textContent);
  const el = (id) => document.getElementById(id);
  let counter = null;
  // The counter's list, pool and dialog choices (GET counters/{id}/workplace/).
  let workplace = null;
  // Server clock minus this browser's clock, from the workplace's "now": pool times are the server's.
  let clockOffset = 0;
  let returnTimer = null;
  let reloadTimer = null;
  let pending = false;
  // This page's actions, each from its request until its own refresh: a counter.updated
  // arriving meanwhile is this page's own change. A count: the next action may start
  // while the last one still reads back (`pending` is cleared first), and the last one's
  // end must not let the next one's own messages pass for changes made elsewhere.
  let acting = 0;

  function say(text, kind) {
    const box = el("message");
    box.textContent = text || "";
    box.className = "message " + (text ? kind || "info" : "empty");
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

  const serverNow = () => Date.now() + clockOffset;

  let reads = 0;

  async function refresh() {
    const read = ++reads;
    try {
      const { status, data } = await api("GET", `counters/${config.counter}/`);
      // Only the latest read counts. An earlier one answering late (a snapshot's,
      // overtaken by this page's own action) would bring back a state already left,
      // and the next message would then be taken for a change made elsewhere.
      if (read !== reads) return;
      if (status === 200) { counter = data; render(); }
      else if (data && data.error) say(data.error.message, "error");
    } catch (e) {
      say("Нет связи с сервером. Повторите действие через минуту.", "error");
    }
    await loadWorkplace();
  }

  async function loadWorkplace() {
    try {
      const { status, data } = await api("GET", `counters/${config.counter}/workplace/`);
      if (status !== 200) return;
      workplace = data;
      clockOffset = Date.parse(data.now) - Date.now();
      renderLists();
      scheduleReturn();
    } catch (e) {
      /* the next live message or action reloads it */
    }
  }

  // Several live messages often arrive together (a call sends three): read the list once.
  function reloadSoon() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(loadWorkplace, 250);
  }

  // When the earliest pooled ticket falls due, read the list again: the server's query
  // then puts it at the front. No server timer: this page's own, set from returns_at.
  function scheduleReturn() {
    clearTimeout(returnTimer);
    if (!workplace || !workplace.next_return_at) return;
    const delay = Math.max(Date.parse(workplace.next_return_at) - serverNow(), 0) + 500;
    returnTimer = setTimeout(loadWorkplace, delay);
  }

  function phase() {
    if (!counter) return "closed";
    if (counter.ticket) return counter.ticket.status;
    return counter.state;
  }

  function render() {
    el("operator").dataset.state = phase();
    const reason = counter && counter.state === "break" && counter.break_reason_label ? " — " + counter.break_reason_label : "";
    el("state-badge").textContent = counter ? counter.status_label + reason : "";
    el("state-badge").className = "badge " + (counter ? counter.state : "");
    const ticket = counter && counter.ticket;
    el("cur-number").textContent = ticket ? ticket.number : "—";
    el("cur-service").textContent = ticket ? ticket.service_name : "";
    el("cur-status").textContent = ticket ? ticket.status_label.toLowerCase() : "";
    el("cur-priority").textContent = ticket ? ticket.priority_label : "";
    el("cur-priority").hidden = !(ticket && ticket.priority_label);
    el("cur-booked").textContent = ticket ? ticket.booked_label : "";
    el("cur-booked").hidden = !(ticket && ticket.booked_label);
    el("cur-waited").textContent = ticket ? fmt.duration(ticket.wait_seconds) : "—";
    el("cur-recalls").textContent = ticket ? ticket.recall_count : "—";
    el("cur-times").classList.toggle("idle", !ticket);
    renderHistory(ticket);
    const allowed = counter ? counter.actions : [];
    document.querySelectorAll("[data-action]").forEach((b) => {
      const action = b.dataset.action;
      b.disabled = pending || !allowed.includes(b.dataset.needs || action);
      // Show either "break" or "resume", and either "open" or "close", not both.
      if (action === "resume") b.hidden = !(counter && counter.state === "break");
      if (action === "break") b.hidden = !!(counter && counter.state === "break");
      if (action === "open") b.hidden = !(counter && counter.state === "closed");
      if (action === "close") b.hidden = !!(counter && counter.state === "closed");
    });
    if (!allowed.includes("transfer") && el("transfer-dialog").open) el("transfer-dialog").close();
    if (!allowed.includes("postpone") && el("postpone-dialog").open) el("postpone-dialog").close();
    if (!allowed.includes("finish") && el("finish-dialog").open) el("finish-dialog").close();
    el("served").textContent = counter ? counter.today.served : 0;
    el("avg-service").textContent = counter && counter.today.avg_service_seconds !== null ? fmt.duration(counter.today.avg_service_seconds) : "—";
    renderLists();
    tick();
  }

  function renderHistory(ticket) {
    const box = el("cur-history");
    const transfers = (ticket && ticket.transfers) || [];
    box.hidden = !transfers.length;
    box.innerHTML = transfers.map((t) => {
      const who = [t.counter ? "окно " + t.counter : "", t.operator].filter(Boolean).join(", ");
      const route = t.from_service === t.to_service ? `из «${t.from_service}»` : `из «${t.from_service}» в «${t.to_service}»`;
      const note = t.note ? ` <q class="note">${fmt.escapeHtml(t.note)}</q>` : "";
      return `<p>Перенаправлен ${fmt.escapeHtml(route)}${who ? " (" + fmt.escapeHtml(who) + ")" : ""}${note}</p>`;
    }).join("");
    // Only when a long history meets the buttons does the box scroll: the latest transfer stays in view.
    box.scrollTop = box.scrollHeight;
  }

  function ticketRow(t, pool) {
    const marks = t.marks.map((m) => `<span class="mark${m === "Льготная категория" ? " priority" : ""}">${fmt.escapeHtml(m)}</span>`).join("");
    const when = pool
      ? `<span class="returns" data-at="${fmt.escapeHtml(t.returns_at)}"></span>`
      : `<span class="waited" title="Ждёт" data-before="${t.waited_before}" data-since="${fmt.escapeHtml(t.waits_since)}">${fmt.duration(t.waited_seconds)}</span>`;
    const button = t.actions.includes("call")
      ? `<button type="button" class="btn small" data-call="${t.id}" ${pending || !(counter && counter.actions.includes("call")) ? "disabled" : ""}>Вызвать</button>`
      : "";
    const note = t.note ? `<span class="note" title="Заметка">${fmt.escapeHtml(t.note)}</span>` : "";
    return `<li data-ticket="${t.id}" class="${t.priority ? "is-priority" : ""}"><b class="num">${fmt.escapeHtml(t.number)}</b>`
      + `<span class="svc">${fmt.escapeHtml(t.service_name)}</span>${when}${button}`
      + (marks || note ? `<span class="extra">${marks} ${note}</span>` : "") + "</li>";
  }

  function renderLists() {
    if (!workplace) return;
    el("queue-total").textContent = `(${workplace.queue_total})`;
    el("pool-total").textContent = `(${workplace.pool.length})`;
    el("queue-list").innerHTML = workplace.queue.length
      ? workplace.queue.map((t) => ticketRow(t, false)).join("")
      : '<li class="empty">Ожидающих нет</li>';
    el("pool-list").innerHTML = workplace.pool.length
      ? workplace.pool.map((t) => ticketRow(t, true)).join("")
      : '<li class="empty">Отложенных нет</li>';
    el("queue-counts").textContent = workplace.call_chosen ? "" : "Вызов вне очереди в этом офисе отключён.";
    tickLists();
  }

  // A waiting ticket's wait so far, as the server defines it (Ticket.waited_seconds): the waits
  // stored by earlier calls plus the time since it queued; the card's «ждал» is that sum at the call.
  function waited(before, since) {
    return before + Math.max(0, (serverNow() - Date.parse(since)) / 1000);
  }

  // Every second: only the times in the lists change, the rows (and their buttons) stay.
  function tickLists() {
    if (!workplace) return;
    document.querySelectorAll("#queue-list .waited").forEach((span) => {
      span.textContent = fmt.duration(waited(Number(span.dataset.before), span.dataset.since));
    });
    document.querySelectorAll("#pool-list .returns").forEach((span) => {
      const at = Date.parse(span.dataset.at);
      const left = (at - serverNow()) / 1000;
      const time = new Date(at).toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit", timeZone: config.timezone });
      span.textContent = `вернётся в ${time}` + (left > 0 ? ` (через ${fmt.duration(left)})` : "");
    });
  }

  function tick() {
    // How long the counter has been on its break (the monitor shows it to the manager too).
    const onBreak = !!(counter && counter.state === "break" && counter.state_changed_at);
    el("break-time").hidden = !onBreak;
    if (onBreak) el("break-time").textContent = "на перерыве " + fmt.duration((serverNow() - Date.parse(counter.state_changed_at)) / 1000);
    const ticket = counter && counter.ticket;
    if (!ticket) { el("timer").textContent = "—"; return; }
    const since = Date.parse(ticket.started_at || ticket.called_at);
    // On the server's clock, as the lists: a counter PC's own clock is often minutes off.
    el("timer").textContent = fmt.duration((serverNow() - since) / 1000);
  }

  const MESSAGES = {
    call: (r) => (r.status === 204 ? "Очередь пуста: ожидающих клиентов нет." : `Вызван талон ${r.data.number}.`),
    "call-chosen": (r) => `Вызван талон ${r.data.number} (вне очереди).`,
    recall: () => "Повторный вызов отправлен на табло.",
    finish: () => "Обслуживание завершено.",
    "finish-next": (r) => (r.data.next
      ? `Обслуживание завершено. Вызван талон ${r.data.next.number}.`
      : "Обслуживание завершено. Очередь пуста: ожидающих клиентов нет."),
    "no-show": () => "Отмечено: клиент не явился.",
    postpone: (r) => (r.data.returns_at
      ? `Талон ${r.data.number} отложен до ${new Date(Date.parse(r.data.returns_at)).toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit", timeZone: config.timezone })}.`
      : `Талон ${r.data.number} отложен в конец очереди.`),
    transfer: (r) => `Талон ${r.data.number} перенаправлен.`,
  };

  async function act(action, extra) {
    if (pending) return false;
    const ticket = counter && counter.ticket;
    const state = (body) => ["POST", `counters/${config.counter}/state/`, body];
    let request;
    switch (action) {
      case "call": request = ["POST", `counters/${config.counter}/call-next/`]; break;
      case "call-chosen": request = ["POST", `counters/${config.counter}/call/`, extra]; break;
      case "break": request = state({ state: "break", ...extra }); break;
      // From this page, opening a counter closes the user's other ones (after the confirmation).
      case "resume": case "open": request = state({ state: "open", close_others: true }); break;
      case "close": request = state({ state: "closed" }); break;
      case "finish-next": request = ["POST", `tickets/${ticket.id}/finish/`, { counter: config.counter, call_next: true, ...extra }]; break;
      default: request = ["POST", `tickets/${ticket.id}/${action}/`, { counter: config.counter, ...extra }];
    }
    pending = true;
    acting += 1;
    render();
    let ok = false;
    try {
      const result = await api(...request);
      if (result.status >= 400) {
        // A conflict (a manager closed the counter, another operator called that ticket): say why, then resync.
        say(result.data && result.data.error ? result.data.error.message : "Действие не выполнено.", "error");
      } else {
        ok = true;
        say(MESSAGES[action] ? MESSAGES[action](result) : "", "info");
      }
    } catch (e) {
      say("Нет связи с сервером. Повторите действие через минуту.", "error");
    }
    pending = false;
    await refresh();
    acting -= 1;
    return ok;
  }

  // Dialogs

  function options(select, items, value, label) {
    select.innerHTML = '<option value="">— выберите —</option>'
      + items.map((i) => `<option value="${fmt.escapeHtml(i[value])}">${fmt.escapeHtml(i[label])}</option>`).join("");
  }

  function showKind(kind) {
    document.querySelectorAll("#transfer-form [data-kind]").forEach((f) => { f.hidden = f.dataset.kind !== kind; });
  }

  async function openTransfer() {
    if (transferStale) {
      transferStale = false;
      await loadWorkplace();
    }
    if (!workplace) return;
    const form = el("transfer-form");
    form.reset();
    // Nothing preselected: the operator chooses where the client goes.
    options(el("transfer-service"), workplace.transfer.services, "code", "name");
    options(el("transfer-counter"), workplace.transfer.counters, "id", "label");
    options(el("transfer-operator"), workplace.transfer.operators, "id", "label");
    const nobody = !workplace.transfer.operators.length;
    el("transfer-operator").hidden = nobody;
    el("transfer-operator-empty").hidden = !nobody;
    el("transfer-operator-empty").textContent = nobody ? workplace.transfer.operators_empty : "";
    showKind(null);
    el("transfer-error").textContent = "";
    el("transfer-dialog").showModal();
  }

  el("transfer-form").addEventListener("change", (e) => { if (e.target.name === "kind") showKind(e.target.value); });
  el("transfer-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const kind = form.get("kind");
    const body = { position: form.get("position"), note: form.get("note").trim() };
    const value = kind === "service" ? form.get("service") : kind === "counter" ? form.get("to_counter") : form.get("to_operator");
    if (kind === "operator" && !workplace.transfer.operators.length) { el("transfer-error").textContent = workplace.transfer.operators_empty + "."; return; }
    if (!kind || !value) { el("transfer-error").textContent = "Выберите, куда перенаправить талон."; return; }
    if (kind === "service") body.service = value;
    if (kind === "counter") body.to_counter = Number(value);
    if (kind === "operator") body.to_operator = Number(value);
    el("transfer-dialog").close();
    await act("transfer", body);
  });

  // The finish step: the service's outcomes as large tick buttons, and a note. A service
  // without outcomes finishes at once, as before. Whether one is required is the server's
  // rule: its refusal (outcome_required) is shown here, the dialog stays open.
  function openFinish(next) {
    const ticket = counter && counter.ticket;
    const choices = (ticket && ticket.outcome_choices) || [];
    if (!choices.length) { act(next ? "finish-next" : "finish"); return; }
    const box = el("finish-outcomes");
    box.querySelectorAll("label").forEach((l) => l.remove());
    choices.forEach((o) => {
      const label = document.createElement("label");
      label.className = "outcome";
      label.innerHTML = `<input type="checkbox" name="outcome" value="${fmt.escapeHtml(o.code)}"><span>${fmt.escapeHtml(o.name)}</span>`;
      box.appendChild(label);
    });
    el("finish-legend").textContent = ticket.outcomes_required ? "Темы обращения (отметьте хотя бы одну)" : "Темы обращения";
    el("finish-note").value = "";
    el("finish-error").textContent = "";
    el("finish-dialog").showModal();
    // Enter confirms what the operator chose: finishing alone, or with the next call.
    el("finish-dialog").querySelector(`button[value="${next ? "next" : "ok"}"]`).focus();
  }

  el("finish-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const next = !!(e.submitter && e.submitter.value === "next");
    const body = { counter: config.counter, outcomes: form.getAll("outcome"), note: form.get("note").trim(), call_next: next };
    const ticket = counter && counter.ticket;
    if (!ticket || pending) return;
    pending = true;
    acting += 1;
    render();
    try {
      const result = await api("POST", `tickets/${ticket.id}/finish/`, body);
      if (result.status === 400 && result.data && result.data.error) {
        el("finish-error").textContent = result.data.error.message;
      } else {
        el("finish-dialog").close();
        if (result.status >= 400) say(result.data && result.data.error ? result.data.error.message : "Действие не выполнено.", "error");
        else say(MESSAGES[next ? "finish-next" : "finish"](result), "info");
      }
    } catch (err) {
      el("finish-error").textContent = "Нет связи с сервером. Повторите действие через минуту.";
    }
    pending = false;
    await refresh();
    acting -= 1;
  });

  function openPostpone() {
    el("postpone-form").reset();
    el("postpone-error").textContent = "";
    el("postpone-dialog").showModal();
  }

  async function postpone(minutes) {
    el("postpone-dialog").close();
    await act("postpone", minutes === null ? {} : { minutes });
  }

  el("postpone-dialog").querySelectorAll("[data-minutes]").forEach((b) =>
    b.addEventListener("click", () => postpone(Number(b.dataset.minutes)))
  );
  el("postpone-dialog").querySelector("[data-back]").addEventListener("click", () => postpone(null));
  el("postpone-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const minutes = Number(el("postpone-minutes").value);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 240) {
      el("postpone-error").textContent = "Укажите от 1 до 240 минут.";
      return;
    }
    postpone(minutes);
  });

  function openBreak() {
    const reasons = (workplace && workplace.break_reasons) || [];
    const box = el("break-reasons");
    box.querySelectorAll("label").forEach((l) => l.remove());
    reasons.forEach((r, i) => {
      const label = document.createElement("label");
      label.innerHTML = `<input type="radio" name="reason" value="${fmt.escapeHtml(r.code)}" ${i === 0 ? "checked" : ""}> ${fmt.escapeHtml(r.name)}`;
      box.appendChild(label);
    });
    el("break-dialog").showModal();
  }

  el("break-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const reason = new FormData(e.target).get("reason") || "";
    el("break-dialog").close();
    act("break", { reason });
  });

  function confirmThen(text, then) {
    if (!text) { then(); return; }
    el("confirm-text").textContent = text;
    const dialog = el("confirm-dialog");
    dialog.returnValue = "";
    dialog.addEventListener("close", () => { if (dialog.returnValue === "yes") then(); }, { once: true });
    dialog.showModal();
  }

  document.querySelectorAll(".op-dialog [data-close]").forEach((b) =>
    b.addEventListener("click", () => b.closest("dialog").close())
  );

  const OPENS_DIALOG = {
    finish: () => openFinish(false),
    "finish-next": () => openFinish(true),
    transfer: openTransfer,
    postpone: openPostpone,
    break: openBreak,
    open: () => confirmThen(counter && counter.open_confirm, () => act("open")),
    resume: () => confirmThen(counter && counter.open_confirm, () => act("resume")),
  };

  document.querySelectorAll("[data-action]").forEach((b) =>
    b.addEventListener("click", () => {
      const action = b.dataset.action;
      if (OPENS_DIALOG[action]) OPENS_DIALOG[action]();
      else act(action);
    })
  );

  // «Вызвать» in the queue list or the pool: the chosen ticket, out of order.
  document.querySelector(".side").addEventListener("click", (e) => {
    const button = e.target.closest("[data-call]");
    if (button && !button.disabled) act("call-chosen", { ticket: Number(button.dataset.call) });
  });

  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (document.querySelector("dialog[open]")) return;
    if (["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) return;
    const button = Array.from(document.querySelectorAll(`[data-key="${e.code}"]`)).find((b) => !b.hidden && !b.disabled);
    if (button) { e.preventDefault(); button.click(); }
  });

  // The lines pushed in queue.updated, placed in this counter's list without asking the server.
  // A pushed line is untargeted (the server says reload for a transfer), and an untargeted
  // ticket is for the counters that serve its service: main first, then backup.
  function sectionOf(line) {
    if (!counter) return null;
    if (line.returns_at && Date.parse(line.returns_at) > serverNow()) {
      return counter.services.includes(line.service) || counter.backup_services.includes(line.service) ? "pool" : null;
    }
    if (counter.services.includes(line.service)) return "main";
    if (counter.backup_services.includes(line.service)) return "backup";
    return null;
  }

  function compareRank(a, b) {
    for (let i = 0; i < a.length; i += 1) {
      if (a[i] < b[i]) return -1;
      if (a[i] > b[i]) return 1;
    }
    return 0;
  }

  const SECTION_ORDER = { main: 0, backup: 1 };
  const byPlace = (a, b) => (SECTION_ORDER[a.section] - SECTION_ORDER[b.section]) || compareRank(a.rank, b.rank);

  function applyLines(message) {
    if (!workplace) return;
    const truncated = workplace.queue_total > workplace.queue.length;
    const removed = new Set(message.removed || []);
    if (removed.size) {
      const before = workplace.queue.length;
      workplace.queue = workplace.queue.filter((t) => !removed.has(t.id));
      workplace.queue_total -= before - workplace.queue.length;
      workplace.pool = workplace.pool.filter((t) => !removed.has(t.id));
    }
    for (const pushed of message.added || []) {
      const section = sectionOf(pushed);
      if (!section) continue;
      const line = {
        ...pushed,
        section,
        actions: workplace.call_chosen ? ["call"] : [],
      };
      if (section === "pool") {
        workplace.pool = workplace.pool.filter((t) => t.id !== line.id).concat([line]);
        workplace.pool.sort((a, b) => Date.parse(a.returns_at) - Date.parse(b.returns_at));
        workplace.next_return_at = workplace.pool[0].returns_at;
        scheduleReturn();
      } else {
        workplace.queue = workplace.queue.filter((t) => t.id !== line.id).concat([line]).sort(byPlace);
        workplace.queue_total += 1;
        workplace.queue = workplace.queue.slice(0, workplace.limit);
      }
    }
    renderLists();
    // Beyond the list's limit this page does not know who is next: only then read the list again.
    if (truncated && workplace.queue.length < Math.min(workplace.queue_total, workplace.limit)) reloadSoon();
  }

  // Whether a snapshot's row of this counter says something this page does not show.
  function differs(row) {
    if (!counter) return false; // the page's first read is on its way
    if (!row) return true;
    const mine = counter.ticket;
    return row.state !== counter.state
      || (row.ticket ? row.ticket.id : null) !== (mine ? mine.id : null)
      || (row.ticket && mine && row.ticket.status !== mine.status);
  }

  let missed = false; // messages may have been lost (a reconnect or a gap): the next snapshot reloads
  let resyncsSeen = 0;
  let transferStale = false;

  function onMessage(message) {
    switch (message.type) {
      case "snapshot": {
        const lost = missed || socket.resyncs.length > resyncsSeen;
        missed = false;
        resyncsSeen = socket.resyncs.length;
        transferStale = true; // a snapshot may stand for counter changes this page never got one by one
        if (lost || differs(message.counters.find((c) => c.id === config.counter))) refresh();
        break;
      }
      case "queue.updated":
        if (message.reload) reloadSoon();
        else applyLines(message);
        break;
      case "ticket.called": case "ticket.cleared": case "ticket.started": {
        if (message.counter !== config.counterNumber || acting) break;
        // This page's own action is already shown; only a change made elsewhere is read.
        const mine = counter && counter.ticket;
        const known = message.type === "ticket.called" ? mine && mine.number === message.ticket
          : message.type === "ticket.started" ? mine && mine.number === message.ticket && mine.status === "serving"
          : !(mine && mine.number === message.ticket);
        if (!known) refresh();
        break;
      }
      case "counter.updated":
        if (message.id === config.counter) {
          if (acting || (counter && message.state === counter.state && message.break_reason === counter.break_reason)) break;
          // Messages leave after the response: one older than the state this page holds
          // (its own break, arriving after its own return) is history, not news.
          if (counter && Date.parse(message.state_changed_at) < Date.parse(counter.state_changed_at)) break;
          // A change this page did not ask for (a manager's break or close from the monitor,
          // the operator opening another counter elsewhere): say so, the old message is stale.
          if (counter && message.state !== counter.state) {
            const reason = message.state === "break" && message.break_reason_label ? " — " + message.break_reason_label : "";
            say(`Состояние окна изменено: ${message.status_label}${reason}.`, "info");
          }
          refresh();
        } else transferStale = true; // the transfer dialog lists counters and who sits at them: read when opened
        break;
    }
  }

  function onStatus(connected, code) {
    // The session ended or the office was taken away: the page itself now
    // answers with the sign-in form or the refusal, so show that.
    if (code === 4401 || code === 4403) { window.location.reload(); return; }
    if (!connected) missed = true;
    el("offline").hidden = connected;
    el("operator").dataset.connected = connected ? "1" : "0";
  }

  say("");
  const socket = new LiveSocket(config.socket, { onMessage, onStatus });
  window.liveSocket = socket; // for diagnostics and tests
  socket.start();
  setInterval(() => { tick(); tickLists(); }, 1000);
  refresh();
})();

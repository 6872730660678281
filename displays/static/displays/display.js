/* Hall display: latest calls, waiting counts, clock, ticker, announcements. */
(function () {
  "use strict";
  const root = document.getElementById("display");
  const config = JSON.parse(document.getElementById("display-config").textContent);
  const params = new URLSearchParams(location.search);
  const flag = (name, fallback) => (params.has(name) ? !["0", "false", "off", "no"].includes(params.get(name)) : fallback);
  const HIGHLIGHT_MS = 10000;
  const VISIBLE_CALLS = 8;
  // A call missed during an outage is still announced when the display is back, if it is this recent.
  const MISSED_CALL_MS = 60000;
  // While the display is offline its calls may long be over: one older than STALE_CALL_MS
  // loses its highlight, and after OFFLINE_CLEAR_MS offline the list is cleared, so that
  // no stale call looks current. Ages are in the server's time (snapshot.now gives the skew).
  const STALE_CALL_MS = 60000;
  const OFFLINE_CLEAR_MS = 5 * 60000;
  let offlineSince = null;
  let offlineTimer = null;
  let skew = 0;

  const announcer = new Announcer({
    clipBase: config.clipBase,
    chime: flag("chime", config.chime),
    voice: flag("voice", config.voice),
  });
  window.announcer = announcer;

  const state = { calls: [], waiting: {}, services: [], open: true, office: null, snapshots: 0 };
  // Every call announced or already on screen in this page load, so that none is announced twice.
  const announced = new Set();
  const callKey = (ticket, counter, at) => `${ticket}|${counter}|${Date.parse(at)}`;

  function announceOnce(ticket, counter, at, missed) {
    const key = callKey(ticket, counter, at);
    if (announced.has(key)) return;
    announced.add(key);
    const item = announcer.announce(ticket, counter);
    item.missed = missed;
  }

  // Calls made while this display was away, still waiting for their client: announce them now, oldest first.
  function announceMissed(snapshot) {
    const now = Date.parse(snapshot.now);
    const first = state.snapshots === 1;
    snapshot.calls.slice().reverse().forEach((call) => {
      const recent = call.calling && now - Date.parse(call.called_at) < MISSED_CALL_MS;
      if (first || !recent) {
        announced.add(callKey(call.ticket, call.counter, call.called_at));
      } else if (!announced.has(callKey(call.ticket, call.counter, call.called_at))) {
        announceOnce(call.ticket, call.counter, call.called_at, true);
        const shown = state.calls.find((c) => c.ticket === call.ticket && c.counter === call.counter);
        if (shown) shown.shownAt = Date.now();
        setTimeout(render, HIGHLIGHT_MS + 50);
      }
    });
  }
  const el = (id) => document.getElementById(id);
  const escapeHtml = fmt.escapeHtml;

  function render() {
    const now = Date.now();
    const offline = offlineSince !== null;
    // Long offline, the counts are as stale as the calls: both go, the counts until the next snapshot.
    const cleared = offline && now - offlineSince >= OFFLINE_CLEAR_MS;
    if (cleared) state.calls = [];
    const rows = state.calls.slice(0, VISIBLE_CALLS).map((call) => {
      const stale = offline && now + skew - Date.parse(call.called_at) > STALE_CALL_MS;
      const fresh = !stale && call.shownAt && now - call.shownAt < HIGHLIGHT_MS;
      const cls = ["call", fresh ? "fresh" : "", stale ? "stale" : call.active ? "" : "past"].join(" ");
      return `<li class="${cls}" data-ticket="${escapeHtml(call.ticket)}"><span class="ticket">${escapeHtml(call.ticket)}</span>` +
        `<span class="arrow" aria-hidden="true">→</span><span class="counter">${escapeHtml(call.counter)}</span>` +
        `<span class="sr-only">Талон ${escapeHtml(call.ticket)}, окно ${escapeHtml(call.counter)}</span></li>`;
    });
    const empty = offline ? "Вызовы появятся, когда связь восстановится" : "Вызовов пока нет";
    el("calls").innerHTML = rows.join("") || `<li class="empty">${empty}</li>`;
    el("waiting").innerHTML = state.services.map((s) =>
      `<li><span class="service">${escapeHtml(s.name)}</span><span class="count" data-service="${escapeHtml(s.code)}">${cleared ? "—" : state.waiting[s.code] ?? 0}</span></li>`
    ).join("");
    el("closed").hidden = state.open;
    if (state.office) {
      el("office-name").textContent = state.office.name;
      el("ticker-text").textContent = state.office.ticker || "";
      el("closed-next").textContent = state.office.next_opening || "";
      el("closed-hours").innerHTML = state.office.hours
        .map((d) => `<li>${d.label}: ${d.hours ? d.hours.replace("-", "–") : "выходной"}</li>`).join("");
    }
  }

  function onMessage(message) {
    switch (message.type) {
      case "snapshot":
        skew = Date.parse(message.now) - Date.now();
        state.office = message.office;
        state.open = message.open;
        state.services = message.services;
        state.waiting = message.waiting;
        // The snapshot replaces everything; highlights survive for calls already on screen.
        state.calls = message.calls.map((c) => {
          const known = state.calls.find((k) => k.ticket === c.ticket && k.counter === c.counter);
          return { ...c, shownAt: known ? known.shownAt : null };
        });
        state.snapshots += 1;
        announceMissed(message);
        break;
      case "ticket.called":
        state.calls = state.calls.filter((c) => c.ticket !== message.ticket);
        state.calls.unshift({ ticket: message.ticket, counter: message.counter, called_at: message.at, active: true, shownAt: Date.now() });
        state.calls = state.calls.slice(0, 10);
        announceOnce(message.ticket, message.counter, message.at, false);
        setTimeout(render, HIGHLIGHT_MS + 50);
        break;
      case "ticket.cleared":
        state.calls.forEach((c) => { if (c.ticket === message.ticket) c.active = false; });
        break;
      case "queue.updated":
        state.waiting = message.waiting;
        break;
      default:
        return;
    }
    render();
  }

  function onStatus(connected) {
    el("offline").hidden = connected;
    root.dataset.connected = connected ? "1" : "0";
    if (connected) {
      offlineSince = null;
      clearInterval(offlineTimer);
    } else if (offlineSince === null) {
      offlineSince = Date.now();
      offlineTimer = setInterval(render, 5000);
    }
    render();
  }

  function tick() {
    const now = new Date();
    // The office's time, whatever zone the TV itself is set to.
    const zone = { timeZone: config.timezone };
    el("clock").textContent = now.toLocaleTimeString("ru-RU", { ...zone, hour: "2-digit", minute: "2-digit" });
    el("date").textContent = now.toLocaleDateString("ru-RU", { ...zone, weekday: "long", day: "numeric", month: "long" });
  }

  const socket = new LiveSocket(config.socket, { onMessage, onStatus }).start();
  window.liveSocket = socket; // for diagnostics and tests
  // Opening and closing are changes of time, not events: resync every minute.
  setInterval(() => socket.send({ type: "sync" }), 60000);
  tick();
  setInterval(tick, 1000);

  const soundButton = el("enable-sound");
  // Under the browser's default autoplay policy sound starts blocked until someone taps the screen.
  function checkSound() { soundButton.hidden = !announcer.blocked() || (!announcer.chime && !announcer.voice); }
  if (announcer.context()) announcer.context().addEventListener("statechange", checkSound);
  soundButton.addEventListener("click", () => announcer.unlock().then(checkSound));
  document.addEventListener("click", () => announcer.unlock().then(checkSound), { once: true });
  checkSound();
  render();
})();

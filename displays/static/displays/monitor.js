/* Managers' monitor: one operators socket per office, all live. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("monitor-config").textContent);
  const SYNC_EVERY_MS = 10000; // the server answers a sync at most this often

  config.offices.forEach((office) => {
    const card = document.getElementById("office-" + office.code);
    const field = (name) => card.querySelector(`[data-field="${name}"]`);
    let state = null;
    let syncTimer = null;
    let lastSync = 0;

    function render() {
      if (!state) return;
      const waiting = Object.values(state.waiting).reduce((a, b) => a + b, 0);
      const oldest = Object.values(state.oldest).map(Date.parse);
      const longest = oldest.length ? (Date.now() - Math.min(...oldest)) / 1000 : 0;
      field("waiting").textContent = waiting;
      field("longest").textContent = oldest.length ? fmt.clock(longest) : "—";
      card.classList.toggle("over-norm", longest > state.norm);
      const today = state.today;
      field("avg-wait").textContent = today.avg_wait_seconds === null ? "—" : fmt.clock(today.avg_wait_seconds);
      field("avg-service").textContent = today.avg_service_seconds === null ? "—" : fmt.clock(today.avg_service_seconds);
      field("over-norm").textContent = today.over_norm_share === null ? "—" : Math.round(today.over_norm_share * 100) + "%";
      field("served").textContent = today.served;
      field("counters").innerHTML = state.counters.map((c) =>
        `<tr class="state-${c.state}"><td>${fmt.escapeHtml(c.number)}</td><td>${fmt.escapeHtml(c.status_label.toLowerCase())}</td>` +
        `<td>${c.operator ? fmt.escapeHtml(c.operator) : "—"}</td><td>${c.ticket ? fmt.escapeHtml(c.ticket.number) : "—"}</td></tr>`
      ).join("");
    }

    function requestSync(socket) {
      clearTimeout(syncTimer);
      const wait = Math.max(0, lastSync + SYNC_EVERY_MS - Date.now());
      syncTimer = setTimeout(() => { lastSync = Date.now(); socket.send({ type: "sync" }); }, wait + 50);
    }

    const socket = new LiveSocket(office.socket, {
      onMessage(message) {
        if (message.type === "snapshot") {
          const waiting = {};
          message.services.forEach((s) => { waiting[s.code] = s.waiting; });
          state = { waiting, oldest: message.oldest, counters: message.counters, today: message.today, norm: message.wait_norm_seconds };
          render();
        } else if (message.type === "queue.updated" && state) {
          state.waiting = message.waiting;
          state.oldest = message.oldest || {};
          render();
        } else if (["ticket.called", "ticket.cleared", "ticket.started", "counter.updated"].includes(message.type)) {
          requestSync(socket);
        }
      },
      onStatus(connected) {
        card.dataset.connected = connected ? "1" : "0";
        card.querySelector(".offline").hidden = connected;
      },
    }).start();
    setInterval(render, 1000);
  });
})();

/* Managers' monitor: one monitor socket per office, applied message by message.
 * Counter and ticket messages change the counters table directly (the page
 * never asks for a snapshot); the figures, the norm and the day chart come as
 * `monitor.stats` pushes. Times tick here, from the server's clock. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("monitor-config").textContent);
  const esc = fmt.escapeHtml;

  const MESSAGE_SECONDS = 20; // how long the answer to a remote action stays

  // The alert sound: off until a click unlocks it (the browser's autoplay
  // policy), and switched off or on by the manager, remembered in localStorage.
  const STORAGE_KEY = "monitor.sound";
  const sound = {
    ctx: null,
    played: [], // the offices an alert was played for: for tests and diagnostics
    enabled() { return localStorage.getItem(STORAGE_KEY) !== "off"; },
    running() { return !!this.ctx && this.ctx.state === "running"; },
    unlock() {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return Promise.resolve();
      // Created in the click itself: a context made earlier would start suspended.
      if (!this.ctx) this.ctx = new Ctx();
      return this.ctx.state === "suspended" ? this.ctx.resume() : Promise.resolve();
    },
    alert(office) {
      if (!this.enabled() || !this.running()) return;
      const ctx = this.ctx, now = ctx.currentTime;
      // Three short rising beeps: unlike the displays' two-tone chime.
      [[660, 0], [880, 0.25], [1100, 0.5]].forEach(([freq, offset]) => {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = "square";
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, now + offset);
        gain.gain.exponentialRampToValueAtTime(0.3, now + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.2);
        osc.connect(gain).connect(ctx.destination);
        osc.start(now + offset);
        osc.stop(now + offset + 0.22);
      });
      this.played.push(office);
    },
  };
  window.monitorSound = sound;

  const soundOn = document.getElementById("sound-on");
  const unlockButton = document.getElementById("sound-unlock");
  const soundState = document.getElementById("sound-state");
  function showSound() {
    unlockButton.hidden = sound.running();
    soundState.hidden = !sound.running();
    soundState.textContent = sound.enabled() ? "Звук включён" : "Звук выключен";
  }
  soundOn.checked = sound.enabled();
  soundOn.addEventListener("change", () => {
    localStorage.setItem(STORAGE_KEY, soundOn.checked ? "on" : "off");
    showSound();
  });
  unlockButton.addEventListener("click", () => {
    sound.unlock().then(showSound, showSound);
  });
  showSound();

  async function post(path, body) {
    const response = await fetch(config.api + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": fmt.csrf() },
      body: JSON.stringify(body),
    });
    return { status: response.status, data: await response.json().catch(() => null) };
  }

  if (window.Chart) {
    Chart.defaults.font.family = '"DejaVu Sans", Arial, sans-serif';
    Chart.defaults.animation = false;
  }

  function officeView(office) {
    const card = document.getElementById("office-" + office.code);
    const field = (name) => card.querySelector(`[data-field="${name}"]`);
    let meta = null;
    const counters = new Map(); // by number, as the messages name them
    let waiting = {};
    let oldest = {};
    let stats = null;
    let offset = 0; // the server's clock minus ours
    let overBefore = null; // people over the norm at the last tick; null before the first
    let chart = null;
    let remote = null; // the counter and action the panel is confirming
    let opened = null; // whether the office is open now (its hours), from the pushed figures
    let figures = {}; // what the company table shows of this office, from the last renderFigures
    let connected = false;

    const now = () => Date.now() + offset;

    // The answer to a remote action, for a while: on a monitor left open all day it
    // would otherwise still say «Окно 2 отправлено на перерыв» long after the counter reopened.
    let sayTimer = null;
    function say(text, kind) {
      const box = field("message");
      box.textContent = text || "";
      box.hidden = !text;
      box.className = "message " + (kind || "info");
      clearTimeout(sayTimer);
      if (text) sayTimer = setTimeout(() => say(""), MESSAGE_SECONDS * 1000);
    }
    const since = (iso) => (iso ? (now() - Date.parse(iso)) / 1000 : null);

    function applyStats(message) {
      offset = Date.parse(message.now) - Date.now();
      opened = { open: message.open, label: message.open_label };
      field("closed").hidden = message.open !== false;
      stats = {
        today: message.today,
        norm: message.norm,
        overAt: Object.fromEntries(message.norm.services.map((s) => [s.code, s.over_at.map(Date.parse)])),
      };
      drawChart(message.chart);
      const b = message.bookings;
      field("bookings").textContent = `ожидаются ${b.expected} · пришли ${b.checked_in} · не пришли ${b.no_show}`;
      renderLow(message.low_ratings);
    }

    // Low ratings: shown until a manager marks each seen; the list comes with every stats push.

    function renderLow(low) {
      if (!low) return;
      field("low").hidden = low.count === 0;
      field("low-count").textContent = low.count > low.items.length ? `(${low.items.length} из ${low.count})` : `(${low.count})`;
      field("low-list").innerHTML = low.items.map((f) => {
        const where = [`талон ${f.ticket}`, f.service, f.counter ? `окно ${f.counter}` : "", f.operator || ""]
          .filter(Boolean).map(esc).join(" · ");
        return `<li data-feedback="${f.id}"><p><b class="low-rating">Оценка ${f.rating} из 5</b> · ${where} · ${esc(f.when)}</p>` +
          (f.comment ? `<blockquote>${esc(f.comment)}</blockquote>` : `<p class="muted">Без комментария</p>`) +
          `<button type="button" class="btn small" data-seen="${f.id}" aria-label="Просмотрено: оценка ${f.rating}, талон ${esc(f.ticket)}">Просмотрено</button></li>`;
      }).join("");
    }

    field("low-list").addEventListener("click", async (e) => {
      const button = e.target.closest("[data-seen]");
      if (!button) return;
      button.disabled = true;
      try {
        const result = await post(`feedback/${button.dataset.seen}/seen/`, {});
        if (result.status >= 400) {
          say(result.data && result.data.error ? result.data.error.message : "Действие не выполнено.", "error");
          button.disabled = false;
          return;
        }
        // The next stats push confirms it; until then the item leaves at once.
        button.closest("li").remove();
        const left = field("low-list").children.length;
        field("low").hidden = left === 0;
      } catch (err) {
        say("Нет связи с сервером. Повторите действие через минуту.", "error");
        button.disabled = false;
      }
    });

    // Counters

    function stateText(c) {
      return c.state === "break" && c.break_reason_label ? `${c.status_label}: ${c.break_reason_label}` : c.status_label;
    }

    function renderCounters() {
      if (!meta) return;
      const labels = { break: "Перерыв", close: "Закрыть" };
      field("counters").innerHTML = Array.from(counters.values()).map((c) => {
        const actions = (meta.manager_actions[c.state] || []).map((a) =>
          `<button type="button" class="btn small" data-remote="${a}" data-counter="${esc(c.number)}" ` +
          `aria-label="Окно ${esc(c.number)}: ${labels[a].toLowerCase()}">${labels[a]}</button>`).join(" ");
        const t = c.ticket;
        return `<tr class="state-${esc(c.state)}" data-counter="${esc(c.number)}" data-state="${esc(c.state)}">` +
          `<th scope="row">${esc(c.number)}</th><td class="state">${esc(stateText(c))}</td>` +
          `<td class="num" data-time="state"></td>` +
          `<td class="operator"${c.operator ? ` title="${esc(c.operator)}"` : ""}>${c.operator ? esc(c.operator) : "—"}</td>` +
          `<td>${t ? esc(t.number) : "—"}</td><td class="num" data-time="service"></td>` +
          `<td class="actions">${actions}</td></tr>`;
      }).join("");
      tickCounters();
    }

    function tickCounters() {
      if (!meta) return;
      field("counters").querySelectorAll("tr").forEach((tr) => {
        const c = counters.get(tr.dataset.counter);
        if (!c) return;
        const inState = since(c.state_changed_at);
        const stateCell = tr.querySelector('[data-time="state"]');
        stateCell.textContent = inState === null ? "—" : fmt.clock(inState);
        stateCell.classList.toggle("over-limit", c.state === "break" && inState > meta.break_limit_seconds);
        const serviceCell = tr.querySelector('[data-time="service"]');
        const t = c.ticket;
        if (!t) {
          serviceCell.textContent = "—";
          serviceCell.classList.remove("over-limit");
        } else if (t.started_at) {
          const served = since(t.started_at);
          serviceCell.textContent = fmt.clock(served);
          serviceCell.classList.toggle("over-limit", served > meta.service_limit_seconds);
        } else {
          // Called and not started: past the service limit the client may never have come up.
          const waitingFor = since(t.called_at);
          const late = waitingFor > meta.service_limit_seconds;
          serviceCell.textContent = "вызван " + fmt.clock(waitingFor);
          serviceCell.classList.toggle("over-limit", late);
          serviceCell.title = late ? "Вызван, но обслуживание не начато дольше норматива обслуживания" : "";
        }
      });
    }

    function counterOf(number) {
      return counters.get(number);
    }

    // The queue, the norm and the day's figures

    function renderFigures() {
      if (!meta) return;
      const norm = meta.wait_norm_seconds;
      const current = now();
      let total = 0, over = 0, longest = null;
      const rows = (stats ? stats.norm.services : []).map((s) => {
        const overAt = stats.overAt[s.code] || [];
        const n = waiting[s.code] ?? s.waiting;
        const sOver = overAt.filter((t) => t < current).length;
        // Wait so far of the longest-waiting: from the norm crossing, which counts earlier waits too.
        let sLongest = overAt.length ? (current - overAt[0]) / 1000 + norm : null;
        if (sLongest === null && oldest[s.code]) sLongest = (current - Date.parse(oldest[s.code])) / 1000;
        if (!n) sLongest = null;
        total += n;
        over += sOver;
        if (sLongest !== null && (longest === null || sLongest > longest)) longest = sLongest;
        return `<tr data-service="${esc(s.code)}" class="${sOver ? "over" : ""}"><th scope="row">${esc(s.name)}</th>` +
          `<td class="num">${n}</td><td class="num" data-over="${esc(s.code)}">${sOver}</td>` +
          `<td class="num">${sLongest === null ? "—" : fmt.clock(sLongest)}</td></tr>`;
      });
      field("services").innerHTML = rows.join("");
      field("waiting").textContent = total;
      field("over-now").textContent = over;
      field("longest").textContent = longest === null ? "—" : fmt.clock(longest);
      card.classList.toggle("over-norm", over > 0);
      card.dataset.over = String(over);
      figures = { waiting: total, over, longest, within: null };
      if (stats) {
        const today = stats.today;
        const counted = stats.norm.settled + over;
        figures.within = counted ? 1 - (stats.norm.settled_over + over) / counted : null;
        field("over-norm").textContent = counted ? Math.round(((stats.norm.settled_over + over) / counted) * 100) + "%" : "—";
        field("avg-wait").textContent = today.avg_wait_seconds === null ? "—" : fmt.clock(today.avg_wait_seconds);
        field("avg-service").textContent = today.avg_service_seconds === null ? "—" : fmt.clock(today.avg_service_seconds);
        field("served").textContent = today.served;
        // The alert: someone new crossed the norm where nobody was over it.
        if (overBefore === 0 && over > 0) sound.alert(office.code);
        overBefore = over;
      }
    }

    // The day chart

    // The legend marks a line as a line and a bar as a square, whatever the points look like.
    function legendMarks(c) {
      return Chart.defaults.plugins.legend.labels.generateLabels(c).map((item) =>
        ({ ...item, pointStyle: c.data.datasets[item.datasetIndex].type === "line" ? "line" : "rect" }));
    }

    function drawChart(data) {
      const canvas = field("chart");
      field("chart-usual").textContent = data.usual.days
        ? `(${data.usual.label.toLowerCase()}; дней с данными: ${data.usual.days})`
        : "(прошлых данных за этот день недели нет)";
      const minutes = (values) => values.map((v) => (v === null ? null : Math.round(v / 6) / 10));
      const datasets = [
        { type: "bar", label: "Пришли сегодня", data: data.today.arrivals, backgroundColor: "#0047ab", yAxisID: "y", pointStyle: "rect" },
        { type: "bar", label: "Пришли обычно", data: data.usual.arrivals, backgroundColor: "#9db6dd", yAxisID: "y", pointStyle: "rect" },
        // Round points: early in the day "today" is one or two hours, a point with no line through it.
        { type: "line", label: "Ожидание сегодня, мин", data: minutes(data.today.avg_wait), borderColor: "#a40000",
          backgroundColor: "#a40000", yAxisID: "wait", spanGaps: true, pointStyle: "circle", pointRadius: 3 },
        { type: "line", label: "Ожидание обычно, мин", data: minutes(data.usual.avg_wait), borderColor: "#f5a000",
          backgroundColor: "#f5a000", borderDash: [6, 4], yAxisID: "wait", spanGaps: true, pointStyle: "circle", pointRadius: 2 },
      ];
      if (!window.Chart) return;
      if (chart) {
        chart.data.labels = data.labels;
        chart.data.datasets.forEach((d, i) => { d.data = datasets[i].data; });
        chart.update();
        return;
      }
      chart = new Chart(canvas, {
        data: { labels: data.labels, datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { position: "bottom", labels: { boxWidth: 14, usePointStyle: true, generateLabels: legendMarks } } },
          scales: {
            y: { beginAtZero: true, position: "left", title: { display: true, text: "клиентов" }, ticks: { precision: 0 } },
            wait: { beginAtZero: true, position: "right", title: { display: true, text: "мин" }, grid: { drawOnChartArea: false } },
          },
        },
      });
      card.dataset.chart = "1";
    }

    // Remote control

    function openRemote(number, action) {
      const c = counterOf(number);
      if (!c || !meta) return;
      remote = { id: c.id, number, action };
      const panel = field("remote");
      field("remote-title").textContent = action === "break"
        ? `Окно ${number}: отправить на перерыв?`
        : `Окно ${number}: закрыть окно?`;
      const select = field("remote-reason");
      select.innerHTML = meta.break_reasons.map((r) => `<option value="${esc(r.code)}">${esc(r.name)}</option>`).join("");
      select.closest("label").hidden = action !== "break";
      say("");
      panel.hidden = false;
      field("remote-confirm").focus();
    }

    function closeRemote() {
      remote = null;
      field("remote").hidden = true;
    }

    field("counters").addEventListener("click", (e) => {
      const button = e.target.closest("[data-remote]");
      if (button) openRemote(button.dataset.counter, button.dataset.remote);
    });
    // Cancelled (the button or Esc): the keyboard goes back to the button that opened the panel.
    function cancelRemote() {
      const opened = remote;
      closeRemote();
      const button = opened && field("counters").querySelector(
        `[data-remote="${opened.action}"][data-counter="${CSS.escape(opened.number)}"]`);
      if (button) button.focus();
    }
    field("remote-cancel").addEventListener("click", cancelRemote);
    field("remote").addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); cancelRemote(); }
    });
    field("remote").addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!remote) return;
      const { id, number, action } = remote;
      const body = action === "break" ? { state: "break", reason: field("remote-reason").value } : { state: "closed" };
      closeRemote();
      try {
        const result = await post(`counters/${id}/remote/`, body);
        if (result.status >= 400) {
          say(result.data && result.data.error ? result.data.error.message : "Действие не выполнено.", "error");
        } else {
          say(action === "break" ? `Окно ${number} отправлено на перерыв.` : `Окно ${number} закрыто.`, "info");
        }
      } catch (err) {
        say("Нет связи с сервером. Повторите действие через минуту.", "error");
      }
    });

    // Messages

    function onMessage(message) {
      switch (message.type) {
        case "snapshot":
          meta = message.office;
          counters.clear();
          message.counters.forEach((c) => counters.set(c.number, c));
          waiting = message.waiting;
          oldest = message.oldest || {};
          applyStats(message);
          renderCounters();
          renderFigures();
          break;
        case "monitor.stats":
          applyStats(message);
          renderFigures();
          break;
        case "queue.updated":
          waiting = message.waiting;
          oldest = message.oldest || {};
          renderFigures();
          break;
        case "counter.updated": {
          const c = counterOf(message.counter);
          if (!c) break;
          Object.assign(c, {
            state: message.state,
            status_label: message.status_label,
            state_changed_at: message.state_changed_at,
            operator: message.operator,
            break_reason: message.break_reason,
            break_reason_label: message.break_reason_label,
          });
          if (remote && remote.number === message.counter) closeRemote();
          renderCounters();
          break;
        }
        case "ticket.called": {
          const c = counterOf(message.counter);
          if (!c) break;
          c.ticket = { number: message.ticket, status: "called", called_at: message.at, started_at: null };
          renderCounters();
          break;
        }
        case "ticket.started": {
          const c = counterOf(message.counter);
          if (!c || !c.ticket || c.ticket.number !== message.ticket) break;
          c.ticket.status = "serving";
          c.ticket.started_at = message.at || new Date(now()).toISOString();
          renderCounters();
          break;
        }
        case "ticket.cleared": {
          const c = counterOf(message.counter);
          if (c && c.ticket && c.ticket.number === message.ticket) {
            c.ticket = null;
            renderCounters();
          }
          break;
        }
      }
      renderCompany();
    }

    const socket = new LiveSocket(office.socket, {
      onMessage,
      onStatus(up) {
        connected = up;
        card.dataset.connected = up ? "1" : "0";
        card.querySelector(".offline").hidden = up;
      },
    }).start();
    setInterval(() => { renderFigures(); tickCounters(); }, 1000);

    // This office's row of the company table.
    function summary() {
      let open = 0, onBreak = 0;
      counters.forEach((c) => {
        if (c.state === "open") open += 1;
        else if (c.state === "break") onBreak += 1;
      });
      return { code: office.code, ready: !!(meta && stats), connected, opened, ...figures, open, onBreak };
    }
    return { socket, summary };
  }

  // The company table: one row per office, worst first, each opening its card.

  let views = [];
  views = config.offices.map(officeView);
  const many = config.offices.length > 1;
  const body = document.getElementById("company-rows");
  const rows = new Map(Array.from(body.querySelectorAll("tr")).map((tr) => [tr.dataset.officeRow, tr]));
  const order = new Map(config.offices.map((o, i) => [o.code, i]));

  // Worst first: more people over the norm now, then the longer wait, then the lower share within the norm today.
  function worse(a, b) {
    return (b.over || 0) - (a.over || 0)
      || (b.longest ?? -1) - (a.longest ?? -1)
      || (a.within ?? 2) - (b.within ?? 2)
      || order.get(a.code) - order.get(b.code);
  }

  function renderCompany() {
    const all = views.map((v) => v.summary());
    all.forEach((o) => {
      const tr = rows.get(o.code);
      const cell = (name) => tr.querySelector(`[data-col="${name}"]`);
      tr.dataset.connected = o.connected ? "1" : "0";
      if (!o.ready) return;
      cell("open").textContent = o.opened ? o.opened.label : "—";
      cell("waiting").textContent = o.waiting;
      cell("over").textContent = o.over;
      cell("open-counters").textContent = o.open;
      cell("break-counters").textContent = o.onBreak;
      cell("longest").textContent = o.longest === null ? "—" : fmt.duration(o.longest);
      cell("within").textContent = o.within === null ? "—" : Math.round(o.within * 100) + "%";
      tr.classList.toggle("over", o.over > 0);
      tr.classList.toggle("closed", !!o.opened && o.opened.open === false);
      tr.dataset.over = String(o.over);
    });
    const wanted = all.slice().sort(worse).map((o) => o.code);
    const now = Array.from(body.children).map((tr) => tr.dataset.officeRow);
    // Moved only when the order changes: a row moved under the pointer or the keyboard would be lost.
    if (wanted.join("\n") !== now.join("\n")) wanted.forEach((code) => body.appendChild(rows.get(code)));
  }

  // With several offices one card shows at a time: the one whose row was chosen (the address's #office-…).
  function showCard() {
    if (!many) return;
    const chosen = decodeURIComponent(window.location.hash.replace(/^#office-/, ""));
    let shown = null;
    document.querySelectorAll(".office-card").forEach((card) => {
      card.hidden = card.dataset.office !== chosen;
      if (!card.hidden) shown = card;
    });
    // The browser's own jump to the address's card came while it was still hidden.
    if (shown) shown.scrollIntoView({ block: "start" });
    rows.forEach((tr, code) => {
      tr.classList.toggle("selected", code === chosen);
      const link = tr.querySelector("a");
      if (code === chosen) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    });
  }
  window.addEventListener("hashchange", showCard);
  showCard();
  // The whole row opens the card, not only the office's name.
  body.addEventListener("click", (e) => {
    const tr = e.target.closest("tr");
    if (tr && !e.target.closest("a")) tr.querySelector("a").click();
  });
  setInterval(renderCompany, 1000);
  renderCompany();

  window.monitorViews = views;
  window.monitorSockets = views.map((v) => v.socket);
})();

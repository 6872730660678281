/* The public load page: asks for the office's load JSON every few seconds and shows it.
   The page itself is rendered with the same data; a new day reloads it (the usual load is per weekday). */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("load-config").textContent);
  const root = document.getElementById("load");
  const localDate = () => new Intl.DateTimeFormat("en-CA", { timeZone: config.timezone }).format(new Date());

  const labels = config.labels;

  function waitText(minutes) {
    return minutes ? labels.minutes.replace("{n}", String(minutes)) : labels.noWait;
  }

  function render(data) {
    const status = document.getElementById("load-status");
    status.className = `status ${data.open ? "open" : "closed"}`;
    document.getElementById("load-open").textContent = data.open ? labels.open : labels.closed;
    document.getElementById("load-next").textContent = data.next_opening;
    document.getElementById("load-counters").textContent = String(data.counters_open);
    const body = document.querySelector("#load-services tbody");
    const rows = data.services.map((service) => {
      const row = document.createElement("tr");
      row.dataset.service = service.code;
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = service.name;
      const waiting = document.createElement("td");
      waiting.className = "waiting";
      waiting.textContent = String(service.waiting);
      const wait = document.createElement("td");
      wait.className = "wait";
      wait.textContent = waitText(service.estimated_wait_minutes);
      row.append(name, waiting, wait);
      return row;
    });
    body.replaceChildren(...rows);
    root.dataset.updated = String(Date.now());
  }

  async function poll() {
    if (localDate() !== config.date) {
      window.location.reload();
      return;
    }
    try {
      const response = await fetch(config.api, { cache: "no-store", credentials: "omit" });
      if (response.ok) render(await response.json());
    } catch (error) {
      // Offline for a moment: the page keeps what it shows and asks again.
    }
    window.setTimeout(poll, config.pollMs);
  }

  window.setTimeout(poll, config.pollMs);
})();

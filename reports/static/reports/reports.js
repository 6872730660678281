/* Charts of the report page, drawn with the locally served Chart.js. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const hms = fmt.hms;
  const palette = ["#0047ab", "#f5a000", "#0a6b2d", "#a40000", "#6b3fa0"];
  Chart.defaults.font.family = '"DejaVu Sans", Arial, sans-serif';
  Chart.defaults.animation = false;
  // The page's locale, not the browser's: an English browser would otherwise print «3,000» and «1.4»
  // beside the tables' «3 000» and «1,40». Groups take the tables' narrow no-break space.
  Chart.defaults.locale = "ru-RU";
  const groups = (text) => text.replace(/\u00a0/g, "\u202f");
  const whole = new Intl.NumberFormat("ru-RU", { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat("ru-RU", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const upToTwo = new Intl.NumberFormat("ru-RU", { maximumFractionDigits: 2 });
  const tick = (value) => groups(upToTwo.format(value));
  const count = (value) => groups(whole.format(value));
  const days = (value) => groups(decimal.format(value));
  const label = (format) => (c) => `${c.dataset.label}: ${format(c.parsed.y)}`;
  window.reportCharts = [];

  // Time axes step by whole seconds, minutes or hours (0:01:00, 0:02:00…), not by
  // Chart.js's decimal steps, which give 0:00:50, 0:01:40, 0:02:30.
  const TIME_STEPS = [10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600];
  const timeAxis = () => ({
    beginAtZero: true,
    ticks: { callback: hms },
    afterBuildTicks(scale) {
      const step = TIME_STEPS.find((s) => scale.max / s <= 8) || 3600;
      scale.ticks = [];
      for (let value = 0; value <= scale.max; value += step) scale.ticks.push({ value });
    },
  });

  function chart(id, type, datasets, options) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    window.reportCharts.push(new Chart(canvas, {
      type,
      data: { labels: data.months, datasets: datasets.map((d, i) => ({ borderColor: palette[i], backgroundColor: palette[i], ...d })) },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } }, ...options },
    }));
  }

  chart("chart-times", "line", [
    { label: "Ожидание", data: data.wait },
    { label: "Обслуживание", data: data.service },
  ], { scales: { y: timeAxis() },
       plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: label(hms) } } } });
  chart("chart-account", "bar", [{ label: "Дней до ответа в ЛК", data: data.account }],
    { scales: { y: { beginAtZero: true, ticks: { callback: tick } } },
      plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: label(days) } } } });
  // In-person channels on their own chart: next to the remote ones they would be a thin strip.
  const stacked = (title) => ({ scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { callback: tick } } },
                                plugins: { legend: { position: "bottom" }, title: { display: true, text: title },
                                           tooltip: { callbacks: { label: label(count) } } } });
  chart("chart-in-person", "bar", data.inPerson.map((c) => ({ label: c.label, data: c.months })),
    stacked("Очное обслуживание и касса"));
  chart("chart-remote", "bar", data.remote.map((c) => ({ label: c.label, data: c.months })),
    stacked("Заочное обслуживание"));
  chart("chart-calls", "line", [
    { label: "Ожидание ответа", data: data.callWait },
    { label: "Разговор", data: data.callTalk },
  ], { scales: { y: timeAxis() },
       plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: label(hms) } } } });
})();

/* Charts of the report page, drawn with the locally served Chart.js. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const hms = fmt.hms;
  const palette = ["#0047ab", "#f5a000", "#0a6b2d", "#a40000", "#6b3fa0"];
  Chart.defaults.font.family = '"DejaVu Sans", Arial, sans-serif';
  Chart.defaults.animation = false;
  window.reportCharts = [];

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
  ], { scales: { y: { beginAtZero: true, ticks: { callback: hms } } },
       plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${hms(c.parsed.y)}` } } } });
  chart("chart-account", "bar", [{ label: "Дней до ответа в ЛК", data: data.account }], { scales: { y: { beginAtZero: true } } });
  chart("chart-channels", "bar", data.channels.map((c) => ({ label: c.label, data: c.months })),
    { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } });
  chart("chart-calls", "line", [
    { label: "Ожидание ответа, с", data: data.callWait },
    { label: "Разговор, с", data: data.callTalk },
  ], { scales: { y: { beginAtZero: true } } });
})();

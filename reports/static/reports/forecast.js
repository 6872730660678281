/* The forecast page's chart of one day, and the day picker that shows that day's table. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("forecast-data").textContent);
  const picker = document.getElementById("forecast-day");
  const canvas = document.getElementById("chart-forecast");
  Chart.defaults.font.family = '"DejaVu Sans", Arial, sans-serif';
  Chart.defaults.animation = false;
  Chart.defaults.locale = "ru-RU";
  let chart = null;

  function show(index) {
    const day = data.days[index];
    document.querySelectorAll("table.forecast-day").forEach((table) => {
      table.hidden = table.id !== `table-day-${index}`;
    });
    if (chart) chart.destroy();
    chart = new Chart(canvas, {
      data: {
        labels: day.hours,
        datasets: [
          { type: "bar", label: "Ожидается клиентов", data: day.arrivals, backgroundColor: "#9bb7e0", yAxisID: "clients" },
          { type: "line", label: "Нужно окон", data: day.counters, borderColor: "#a40000", backgroundColor: "#a40000", stepped: "middle", yAxisID: "counters" },
          { type: "line", label: "Было открыто неделей раньше", data: day.open, borderColor: "#0a6b2d", backgroundColor: "#0a6b2d", borderDash: [6, 4], stepped: "middle", yAxisID: "counters" },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" }, title: { display: true, text: day.label } },
        scales: {
          clients: { position: "left", beginAtZero: true, title: { display: true, text: "клиентов в час" } },
          counters: { position: "right", beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false }, title: { display: true, text: "окон" } },
        },
      },
    });
    window.forecastChart = chart;
  }

  picker.addEventListener("change", () => show(Number(picker.value)));
  if (data.days.length) show(0);
})();

/* Helpers shared by every page: Russian formatting, durations, HTML escaping, the CSRF token. */
(function () {
  "use strict";
  function plural(n, one, few, many) {
    const mod10 = n % 10, mod100 = n % 100;
    if (mod10 === 1 && mod100 !== 11) return one;
    if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return few;
    return many;
  }
  function waitText(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return "менее минуты";
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return "≈ " + minutes + " " + plural(minutes, "минута", "минуты", "минут");
    const hours = Math.floor(minutes / 60), rest = minutes % 60;
    return "≈ " + hours + " ч" + (rest ? " " + rest + " мин" : "");
  }
  function peopleText(n) {
    if (n === null || n === undefined) return "—";
    if (n === 0) return "никого";
    return n + " " + plural(n, "человек", "человека", "человек");
  }
  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
  }
  // A duration an operator reads at a glance, with units: «18 с», «6 мин 18 с», «1 ч 05 мин».
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    seconds = Math.max(0, Math.floor(seconds));
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h) return h + " ч " + String(m).padStart(2, "0") + " мин";
    return m ? m + " мин " + s + " с" : s + " с";
  }
  // H:MM:SS whatever the length, as in the published report tables; "—" for no value.
  function hms(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = Math.round(seconds % 60);
    return h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
  }
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function csrf() {
    const match = document.cookie.match(/csrftoken=([^;]+)/);
    return match ? match[1] : "";
  }
  window.fmt = { plural, waitText, peopleText, clock, duration, hms, escapeHtml, csrf };
})();

/* A counter's rating tablet: lit by the office display's ticket.cleared (status done) for this counter,
   dark again after config.litMs, or config.thanksMs after the rating. Every sentence is in the page's
   markup or the server's error message; this file only decides what to show. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("rate-config").textContent);
  const el = (id) => document.getElementById(id);
  const root = el("rate");
  const stars = Array.from(document.querySelectorAll(".star"));
  let ticket = null;
  let rating = 0;
  let darkTimer = null;

  function later(ms) {
    clearTimeout(darkTimer);
    darkTimer = setTimeout(dark, ms);
  }

  function show(state) {
    root.dataset.state = state;
    el("ask").hidden = state !== "ask";
    el("thanks").hidden = state !== "thanks";
  }

  function dark() {
    clearTimeout(darkTimer);
    ticket = null;
    show("dark");
  }

  function select(n) {
    rating = n;
    stars.forEach((b) => b.setAttribute("aria-pressed", String(Number(b.dataset.rating) === n)));
    el("send").disabled = !n;
  }

  function showError(text) {
    el("error").textContent = text;
    el("error").hidden = !text;
  }

  function light(number) {
    ticket = number;
    select(0);
    el("comment").value = "";
    el("ticket").textContent = number;
    showError("");
    show("ask");
    later(config.litMs);
  }

  async function send() {
    if (!ticket || !rating) return;
    el("send").disabled = true;
    showError("");
    try {
      const response = await fetch(config.rateUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": fmt.csrf(), Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ ticket, rating, comment: el("comment").value }),
      });
      if (response.ok) {
        show("thanks");
        later(config.thanksMs);
        return;
      }
      const body = await response.json();
      showError(body.error ? body.error.message : el("offline-error").textContent);
      // Rated already, or too late: nothing more to ask; the message stays for a moment.
      if (response.status === 409 || response.status === 410) later(config.thanksMs);
      else el("send").disabled = false;
    } catch (e) {
      showError(el("offline-error").textContent);
      el("send").disabled = false;
    }
  }

  stars.forEach((b) => b.addEventListener("click", () => select(Number(b.dataset.rating))));
  el("send").addEventListener("click", send);

  function onMessage(message) {
    if (message.type === "ticket.cleared" && message.counter === config.counter && message.status === "done") {
      light(message.ticket);
    }
  }

  function onStatus(connected) {
    root.dataset.connected = connected ? "1" : "0";
  }

  new LiveSocket(config.socket, { onMessage, onStatus }).start();
})();

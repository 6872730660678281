/* A client's phone: live status, position and estimate; a signal when called. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("tracking-config").textContent);
  const el = (id) => document.getElementById(id);
  const LABELS = { waiting: "Ожидает вызова", called: "Вас вызывают!", serving: "Обслуживается", done: "Обслуживание завершено. Спасибо!",
    no_show: "Талон закрыт: вы не подошли к окну", cancelled: "Талон отменён", expired: "Срок действия талона истёк" };
  let lastCalledAt = null;

  function signal() {
    if (navigator.vibrate) navigator.vibrate([300, 150, 300, 150, 600]);
    try {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      const ctx = new Ctx();
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.4, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 1.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 1.2);
    } catch (e) { /* no sound on this phone */ }
  }

  function render(state) {
    const root = el("tracking");
    const wasCalled = root.dataset.status === "called";
    root.dataset.status = state.status;
    el("status").textContent = LABELS[state.status] || state.status;
    const called = state.status === "called" || state.status === "serving";
    el("called").hidden = !called;
    el("counter").textContent = state.counter || "";
    el("waiting").hidden = state.status !== "waiting";
    el("position").textContent = fmt.peopleText(state.position);
    // No position: postponed by the operator, outside the queue until it returns.
    el("estimate").textContent = state.position === null ? "—" : state.position ? fmt.waitText(state.estimated_wait_seconds) : "вы следующий";
    if (state.status === "called" && (!wasCalled || state.counter !== lastCalledAt)) signal();
    lastCalledAt = state.status === "called" ? state.counter : null;
  }

  function onMessage(message) {
    if (message.type === "snapshot" || message.type === "ticket.status") render(message);
  }

  function onStatus(connected) {
    el("offline").hidden = connected;
    el("tracking").dataset.connected = connected ? "1" : "0";
  }

  new LiveSocket(config.socket, { onMessage, onStatus }).start();
})();

/* LiveSocket: a WebSocket that never gives up.
 * Reconnects with exponential backoff and jitter after any outage, sends a
 * heartbeat every 10 s and treats 30 s of silence as a dead connection.
 * Every (re)connect starts with a snapshot from the server, so the page
 * replaces its state and nothing is missed. */
(function () {
  "use strict";
  const HEARTBEAT_MS = 10000;
  const DEAD_AFTER_MS = 30000;
  const MAX_BACKOFF_MS = 30000;

  class LiveSocket {
    constructor(path, { onMessage, onStatus }) {
      this.path = path;
      this.onMessage = onMessage;
      this.onStatus = onStatus || function () {};
      this.attempt = 0;
      this.ws = null;
      this.lastSeen = 0;
      this.timer = null;
      this.connected = false;
    }

    start() {
      this.connect();
      setInterval(() => this.heartbeat(), HEARTBEAT_MS);
      return this;
    }

    url() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      return scheme + location.host + this.path;
    }

    connect() {
      clearTimeout(this.timer);
      let ws;
      try {
        ws = new WebSocket(this.url());
      } catch (e) {
        this.scheduleReconnect();
        return;
      }
      this.ws = ws;
      ws.onopen = () => {
        this.attempt = 0;
        this.lastSeen = Date.now();
        this.setStatus(true);
      };
      ws.onmessage = (event) => {
        this.lastSeen = Date.now();
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        if (message.type === "pong") return;
        this.onMessage(message);
      };
      ws.onclose = (event) => {
        if (ws !== this.ws) return; // an abandoned socket
        this.setStatus(false, event.code);
        this.scheduleReconnect(event.code);
      };
      ws.onerror = () => {}; // onclose follows
    }

    scheduleReconnect(code) {
      clearTimeout(this.timer);
      // Refusals (no sign-in, no access, unknown) are retried slowly: an admin may fix them.
      const refused = code >= 4400 && code < 4500;
      const base = refused ? MAX_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt);
      this.attempt += 1;
      const delay = base * (0.5 + Math.random() / 2);
      this.timer = setTimeout(() => this.connect(), delay);
    }

    heartbeat() {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastSeen > DEAD_AFTER_MS) {
        // The peer is gone without a close frame: drop the socket ourselves,
        // since the browser may take minutes to notice.
        this.ws = null;
        try { ws.close(); } catch (e) { /* already closing */ }
        this.setStatus(false, 0);
        this.attempt = 0;
        this.scheduleReconnect();
        return;
      }
      this.send({ type: "ping" });
    }

    send(message) {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
    }

    setStatus(connected, code) {
      this.connected = connected;
      this.onStatus(connected, code);
    }
  }

  window.LiveSocket = LiveSocket;
})();

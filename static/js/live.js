/* LiveSocket: a WebSocket that never gives up.
 * Reconnects with exponential backoff and jitter after any outage (at least
 * every 5 s; every minute at most while the server says its channel layer is
 * down, close code 4503), sends a heartbeat every 10 s and treats 30 s of
 * silence as a dead connection. Every (re)connect starts with a snapshot from the server,
 * so the page replaces its state.
 * Office screens get numbered messages (`seq`): a gap, a number lower than
 * the last (the server's counter was reset), or a pong that shows the screen
 * fell behind, makes it ask for a fresh snapshot; messages the snapshot
 * already covers are dropped. */
(function () {
  "use strict";
  const HEARTBEAT_MS = 10000;
  const DEAD_AFTER_MS = 30000;
  const MAX_BACKOFF_MS = 5000;
  const LAYER_DOWN = 4503;
  const MAX_LAYER_DOWN_BACKOFF_MS = 60000;
  const REFUSED_RETRY_MS = 30000;
  const SYNC_ANSWER_MS = 15000;

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
      this.seq = null; // the last numbered message applied
      this.snapshotSeq = null;
      this.behind = null; // a pong's seq above ours, waiting to be caught up
      this.syncAskedAt = 0;
      this.resyncs = []; // why snapshots were requested: for tests and diagnostics
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
        // The backoff restarts at the first message, not here: a server that
        // accepts and closes at once (its channel layer down) must not be
        // retried every second.
        this.lastSeen = Date.now();
        this.setStatus(true);
      };
      ws.onmessage = (event) => {
        this.lastSeen = Date.now();
        this.attempt = 0;
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        if (message.type === "pong") {
          this.checkBehind(message.seq);
          return;
        }
        if (message.type === "snapshot") {
          this.syncAskedAt = 0;
          if (typeof message.seq === "number") {
            this.seq = this.snapshotSeq = message.seq;
            this.behind = null;
          }
        } else if (typeof message.seq === "number" && this.seq !== null && !this.inSequence(message.seq)) {
          return;
        }
        this.onMessage(message);
      };
      ws.onclose = (event) => {
        if (ws !== this.ws) return; // an abandoned socket
        this.setStatus(false, event.code);
        this.scheduleReconnect(event.code);
      };
      ws.onerror = () => {}; // onclose follows
    }

    // Whether a numbered message is to be applied.
    inSequence(seq) {
      if (seq > this.seq) {
        if (seq > this.seq + 1) this.resync("gap");
        this.seq = seq;
        return true;
      }
      if (seq < this.seq) this.resync("reset");
      // Late, but newer than the snapshot: apply it; the requested snapshot settles the order.
      return seq < this.seq && seq > this.snapshotSeq;
    }

    // A pong carries the server's latest number. Above ours twice in a row
    // means a message was lost (the first time it may still be on its way);
    // below ours means the server's counter was reset.
    checkBehind(seq) {
      if (typeof seq !== "number" || this.seq === null) return;
      if (seq < this.seq) {
        this.resync("reset");
      } else if (seq > this.seq) {
        if (this.behind !== null && this.seq < this.behind) {
          this.behind = null;
          this.resync("behind");
        } else {
          this.behind = seq;
        }
      } else {
        this.behind = null;
      }
    }

    resync(reason) {
      // One request at a time: the server answers each one, at worst a few seconds later.
      if (Date.now() - this.syncAskedAt < SYNC_ANSWER_MS) return;
      this.syncAskedAt = Date.now();
      this.resyncs.push(reason);
      this.send({ type: "sync" });
    }

    scheduleReconnect(code) {
      clearTimeout(this.timer);
      // Refusals (no sign-in, no access, unknown) are retried slowly: an admin may fix them.
      const refused = code >= 4400 && code < 4500;
      const ceiling = code === LAYER_DOWN ? MAX_LAYER_DOWN_BACKOFF_MS : MAX_BACKOFF_MS;
      const base = refused ? REFUSED_RETRY_MS : Math.min(ceiling, 1000 * 2 ** this.attempt);
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
      if (!connected) {
        // A new connection starts from its own snapshot.
        this.seq = this.snapshotSeq = null;
        this.syncAskedAt = 0;
      }
      this.connected = connected;
      this.onStatus(connected, code);
    }
  }

  window.LiveSocket = LiveSocket;
})();

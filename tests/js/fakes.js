// Fakes for the client's injected collaborators: a virtual clock with its timers, and a
// WebSocket the test drives (it records what the client sends, and the test opens it, delivers
// frames and closes it with a code).

/**
 * setTimeout / clearTimeout / setInterval / clearInterval on a virtual clock: nothing runs
 * until the test calls advance(ms). now() is the monotonic clock (performance.now), wallNow()
 * the epoch one (Date.now); sleep(ms) moves the wall clock only (a machine asleep).
 */
export function fakeTimers() {
  let time = 0, wall = 1_700_000_000_000, nextId = 1;
  const pending = new Map(); // id -> {at, fn, every}

  const add = (fn, ms, every) => {
    const id = nextId++;
    pending.set(id, { at: time + Math.max(0, Number(ms) || 0), fn, every });
    return id;
  };
  const timers = {
    now: () => time,
    wallNow: () => wall + time,
    setTimeout: (fn, ms) => add(fn, ms, null),
    setInterval: (fn, ms) => add(fn, ms, Math.max(1, Number(ms) || 0)),
    clearTimeout: (id) => { pending.delete(id); },
    clearInterval: (id) => { pending.delete(id); },
    /** Run every timer due within the next `ms`, in order, the clock at each one's time. */
    advance(ms) {
      const end = time + ms;
      for (;;) {
        let next = null;
        for (const [id, timer] of pending) {
          if (timer.at <= end && (next === null || timer.at < next[1].at)) next = [id, timer];
        }
        if (next === null) break;
        const [id, timer] = next;
        time = timer.at;
        if (timer.every === null) pending.delete(id);
        else timer.at += timer.every;
        timer.fn();
      }
      time = end;
    },
    sleep(ms) { wall += ms; },
    /** The delays of the timeouts pending now, in ms from now. */
    get delays() { return [...pending.values()].filter((t) => t.every === null).map((t) => t.at - time); },
    get count() { return pending.size; },
  };
  return timers;
}

/** A WebSocket class whose instances the test drives; `sockets` lists them, oldest first. */
export function fakeWebSockets() {
  const sockets = [];
  class FakeWebSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;

    constructor(url) {
      this.url = url;
      this.readyState = FakeWebSocket.CONNECTING;
      this.sent = []; // the raw strings the client sent
      this.closedWith = null; // the code of the client's close(), if it closed
      this.listeners = {};
      sockets.push(this);
    }

    addEventListener(type, listener) {
      (this.listeners[type] ||= []).push(listener);
    }

    dispatch(type, event = {}) {
      for (const listener of this.listeners[type] || []) listener({ type, ...event });
    }

    send(data) {
      if (this.readyState !== FakeWebSocket.OPEN) throw new Error("InvalidStateError: not open");
      this.sent.push(data);
    }

    close(code) {
      this.closedWith = code;
      this.readyState = FakeWebSocket.CLOSING;
    }

    // What the test does, as the server or the network would:
    open() {
      this.readyState = FakeWebSocket.OPEN;
      this.dispatch("open");
    }

    deliver(frame) {
      this.dispatch("message", { data: typeof frame === "string" ? frame : JSON.stringify(frame) });
    }

    /** The socket closes with `code` (1006: the connection dropped without a close frame). */
    closeFromServer(code) {
      this.readyState = FakeWebSocket.CLOSED;
      this.dispatch("close", { code });
    }

    /** The frames sent, parsed. */
    get frames() { return this.sent.map((data) => JSON.parse(data)); }
  }
  return {
    WebSocket: FakeWebSocket,
    sockets,
    get last() { return sockets[sockets.length - 1]; },
  };
}

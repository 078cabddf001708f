// One WebSocket at a time, reconnected with backoff: the tab client's and the dashboard's.
// It knows no frame types; its owner decides what an open, a frame or a close means.

import { backoffDelay, parseFrame } from "../utils.js";

const CONNECTING = 0, OPEN = 1; // WebSocket readyState values

/**
 * `url`: the socket's URL, or a function returning it at each connect. Collaborators, injected
 * so a test can pass fakes: `WebSocket` (a constructor), `setTimeout` / `clearTimeout`,
 * `random` (for the jitter). `finalCodes`: close codes after which trying again cannot help (no
 * reconnect). Callbacks: `onOpen()`, `onFrame(frame)` (each JSON object received), and
 * `onClose(code, final)`, where `final` says no reconnect follows.
 */
export function createTransport({
  url, WebSocket, setTimeout, clearTimeout, random = Math.random, finalCodes = [],
  onOpen = () => {}, onFrame = () => {}, onClose = () => {},
}) {
  const final = new Set(finalCodes);
  // socket: the one that may act (a replaced socket's events are ignored); attempt: closes
  // since the last resetBackoff(); timer: the pending reconnect; stopped: never connect again
  // (the page is leaving); suspended: not until resume() (the back-forward cache).
  const state = { socket: null, attempt: 0, timer: null, stopped: false, suspended: false };

  function connect() {
    if (state.stopped || state.suspended) return;
    let ws;
    try { ws = new WebSocket(typeof url === "function" ? url() : url); } catch { return retry(); }
    state.socket = ws;
    ws.addEventListener("open", () => ws === state.socket && onOpen());
    ws.addEventListener("message", (event) => {
      if (ws !== state.socket) return;
      const frame = parseFrame(event.data);
      if (frame) onFrame(frame);
    });
    ws.addEventListener("close", (event) => ws === state.socket && closed(event.code));
  }

  function closed(code) {
    state.socket = null;
    const last = state.stopped || final.has(code);
    onClose(code, last);
    if (!last) retry();
  }

  function retry() {
    if (state.stopped || state.suspended || state.timer !== null) return;
    state.timer = setTimeout(() => { state.timer = null; connect(); }, backoffDelay(state.attempt++, random));
  }

  /** Close the socket (if any) and cancel a pending reconnect. */
  function drop() {
    if (state.timer !== null) clearTimeout(state.timer);
    state.timer = null;
    const ws = state.socket;
    state.socket = null;
    if (ws && ws.readyState <= OPEN) try { ws.close(1000); } catch { /* closing */ }
  }

  /** Send `frame` as JSON; false if no socket is open (or sending threw). */
  function send(frame) {
    if (!state.socket || state.socket.readyState !== OPEN) return false;
    try { state.socket.send(JSON.stringify(frame)); } catch { return false; }
    return true;
  }

  /** A new socket now, whatever the backoff: the old one (if any) is closed. */
  function reconnect() {
    if (state.stopped) return;
    drop();
    connect();
  }

  return {
    connect,
    send,
    reconnect,
    /** The next close starts the backoff from its shortest delay again. */
    resetBackoff() { state.attempt = 0; },
    /** Connect no more (the page is leaving); the socket open now stays until the page goes. */
    stop() { state.stopped = true; },
    /** Close, and stay closed until resume() (the page went into the back-forward cache). */
    suspend() {
      state.suspended = true;
      drop();
    },
    resume() {
      state.suspended = false;
      state.attempt = 0;
      reconnect();
    },
    get suspended() { return state.suspended; },
    get open() { return state.socket !== null && state.socket.readyState === OPEN; },
    get connecting() { return state.socket !== null && state.socket.readyState === CONNECTING; },
    /** No socket at all: closed, and waiting for the backoff (or stopped). */
    get detached() { return state.socket === null; },
  };
}

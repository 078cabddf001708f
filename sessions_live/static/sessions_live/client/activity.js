// Activity reports: the user's input, sent on the leading and the trailing edge of each
// `interval`-second window, with `idle` (seconds since that input), so the server never holds
// an activity time older than the real one and never more than one report per window.

export const INPUT_EVENTS = ["mousemove", "mousedown", "keydown", "wheel", "scroll", "touchstart", "pointerdown"];

/**
 * Collaborators: `now()` (ms, monotonic), `setTimeout`, `send(frame)` (true if it went out),
 * `stopped()` (the page is leaving: report nothing new). `interval`: seconds, until the server
 * says otherwise (setInterval()).
 */
export function createActivity({ now, setTimeout, send, stopped = () => false, interval = 10 }) {
  // lastInput: now() of the latest input; reported: the latest input the server was told of;
  // window: the throttle window's timer, null when none is open.
  const state = { interval, lastInput: -Infinity, reported: -Infinity, window: null };

  function report() {
    const idle = Math.max(0, (now() - state.lastInput) / 1000);
    if (idle > state.interval) return false; // the server would clamp it: too old to report truthfully
    if (!send({ type: "activity", idle: Math.round(idle * 1000) / 1000 })) return false;
    state.reported = state.lastInput;
    return true;
  }

  function openWindow() {
    state.window = setTimeout(() => {
      state.window = null;
      if (state.lastInput > state.reported && report()) openWindow();
    }, state.interval * 1000);
  }

  /** Input happened now: report it, or leave it to the window's trailing edge. */
  function input() {
    state.lastInput = now();
    if (state.window !== null || stopped()) return;
    report();
    openWindow();
  }

  return {
    input,
    /** A new socket is open: report input it has not heard of (a window then follows). */
    connected() {
      if (state.lastInput > state.reported && report() && state.window === null) openWindow();
    },
    /** The server's `activity_interval` (seconds), from the next window on. */
    setInterval(seconds) { state.interval = seconds; },
    get interval() { return state.interval; },
    /** Call input() on the user's input events in `doc`, except those `ignore(event)` refuses. */
    listen(doc, ignore = () => false) {
      const onInput = (event) => ignore(event) || input();
      for (const type of INPUT_EVENTS) doc.addEventListener(type, onInput, { capture: true, passive: true });
    },
  };
}

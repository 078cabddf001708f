// The session's deadline as this tab last heard it, counted down on the tab's own clocks, and
// what the dialog shows and says as it runs out: "m:ss" and the screen-reader announcements.

/** "m:ss" for a number of seconds, rounded up so "0:00" only shows at the deadline. */
export function formatCountdown(seconds) {
  const s = Number.isFinite(seconds) ? Math.max(0, Math.ceil(seconds)) : 0;
  return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}

/** A translated string with %(time)s replaced. */
export function fillTime(template, time) {
  return String(template ?? "").split("%(time)s").join(time);
}

/**
 * The announcement due when the time left went from `previousRemaining` to `remaining`
 * (seconds): the text of the smallest threshold k with remaining <= k < previousRemaining, else
 * null. `thresholds` maps seconds, as strings, to texts (strings.announce).
 */
export function announcementFor(previousRemaining, remaining, thresholds) {
  if (!Number.isFinite(previousRemaining) || !Number.isFinite(remaining)) return null;
  let best = null;
  for (const [key, text] of Object.entries(thresholds && typeof thresholds === "object" ? thresholds : {})) {
    const at = Number(key);
    if (typeof text !== "string" || !(remaining <= at && at < previousRemaining)) continue;
    if (best === null || at < best.at) best = { at, text };
  }
  return best && best.text;
}

/**
 * Collaborators: `now()` (ms, monotonic: performance.now), `wallNow()` (ms, Date.now: the
 * monotonic clock may stop while the machine sleeps, so the earlier of the two wins),
 * `setInterval`, and the strings: `template` ("%(time)s left") and `thresholds`
 * (strings.announce).
 */
export function createCountdown({ now, wallNow, setInterval, template, thresholds }) {
  // deadline / wallDeadline: ms on each clock at which the session ends, per the server;
  // warnAt: ms (monotonic) of the warning; shown: seconds left when the dialog last showed
  // them, to find the thresholds crossed since.
  const state = { deadline: null, wallDeadline: null, warnAt: null, shown: null };

  /** Seconds left, or null before the server gave a deadline; negative once it passed. */
  function remaining() {
    if (state.deadline === null) return null;
    return Math.min(state.deadline - now(), state.wallDeadline - wallNow()) / 1000;
  }

  const text = (left) => fillTime(template, formatCountdown(left));

  return {
    remaining,
    /** The server's new deadline: `expiresIn` and `warnIn` seconds from now. */
    set(expiresIn, warnIn) {
      const at = now();
      state.deadline = at + expiresIn * 1000;
      state.wallDeadline = wallNow() + expiresIn * 1000;
      state.warnAt = at + warnIn * 1000;
    },
    /** Seconds to the warning (0 once due), or null before any deadline. */
    warnIn() {
      return state.warnAt === null ? null : Math.max(0, (state.warnAt - now()) / 1000);
    },
    /** The dialog opens (or changes): its countdown text and its one opening announcement. */
    show() {
      const left = Math.max(0, remaining() ?? 0);
      state.shown = left;
      const countdown = text(left);
      return { countdown, announcement: announcementFor(left + 1, left, thresholds) || countdown };
    },
    /** A second passed with the dialog open: its countdown text, and the announcement due. */
    step() {
      const left = remaining();
      const announcement = announcementFor(state.shown, left, thresholds);
      state.shown = left;
      return { countdown: text(left), announcement };
    },
    /** Call `tick` every second, for the page's life. */
    start(tick) {
      setInterval(tick, 1000);
    },
  };
}

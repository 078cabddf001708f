// Helpers shared by the tab client (sessions_live.js) and the dashboard (dashboard.js): pure
// functions, no DOM, no global state.

export const MIN_DELAY = 250, BASE_DELAY = 500, MAX_DELAY = 30000; // ms, reconnect backoff

/**
 * Reconnect delay in ms before attempt `attempt` (0 for the first retry): full jitter over a
 * capped exponential, min(MAX_DELAY, BASE_DELAY * 2^attempt) * random(), never below MIN_DELAY.
 * A bad `attempt` counts as 0 and a bad `random()` (NaN, outside [0, 1]) is clamped, so the
 * delay is always a whole number of ms in [MIN_DELAY, MAX_DELAY]: setTimeout(NaN) would fire
 * at once and turn an outage into a reconnect loop.
 */
export function backoffDelay(attempt, random = Math.random) {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  const cap = Math.min(MAX_DELAY, BASE_DELAY * 2 ** Math.min(n, 30));
  const r = Number(random());
  return Math.max(MIN_DELAY, Math.round((Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0) * cap));
}

/** The WebSocket URL of `path` on the page's host: wss: on an https: page, else ws:. */
export function socketUrl(location, path) {
  return (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + path;
}

/** A JSON text frame as an object, or null (not JSON, not an object). */
export function parseFrame(data) {
  let frame;
  try { frame = JSON.parse(data); } catch { return null; }
  return frame && typeof frame === "object" ? frame : null;
}

/** `value` if it is a finite number, else null. */
export const finite = (value) => (typeof value === "number" && Number.isFinite(value) ? value : null);

/** `template` with each %(name)s replaced by `values[name]` (an unknown name by nothing). */
export const fill = (template, values) =>
  String(template).replace(/%\((\w+)\)s/g, (_, key) => (key in values ? String(values[key]) : ""));

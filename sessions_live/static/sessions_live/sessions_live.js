// sessions-live browser client: one WebSocket per tab, the warning dialog, activity reports.
// The server decides everything; this script reports input, shows what it is told, and falls
// back to its own countdown only to hide the page once the server's deadline has passed.
// Plain ES module, no dependency; the only global is window.sessionsLive. Its parts, each
// with its collaborators injected: client/transport.js (the socket and its backoff),
// client/countdown.js (the deadline and what it says), client/dialog.js (the <dialog>) and
// client/activity.js (throttled activity reports); ../utils.js is shared with the dashboard.

import { createActivity } from "./client/activity.js";
import { createBanner } from "./client/banner.js";
import { createCountdown } from "./client/countdown.js";
import { createDialog } from "./client/dialog.js";
import { createReauth } from "./client/reauth.js";
import { createTransport } from "./client/transport.js";
import { finite, socketUrl } from "./utils.js";

// The pure helpers, still importable from here.
export { backoffDelay } from "./utils.js";
export { announcementFor, fillTime, formatCountdown } from "./client/countdown.js";

const CLOSE_NOT_AUTHENTICATED = 4401;
const FRAME_TYPES = new Set(["hello", "active", "warning", "expired", "error", "broadcast"]);

/** `url` resolved against `base`, with next=`here` added unless it has one; null if not http(s). */
export function withNext(url, here, base) {
  let target;
  try { target = new URL(String(url), base); } catch { return null; }
  if (target.protocol !== "http:" && target.protocol !== "https:") return null;
  if (here != null && !target.searchParams.has("next")) target.searchParams.set("next", here);
  return target.href;
}

/**
 * Where a tab goes at `expired`: the server's `redirect` (the site's login page, told why),
 * moved onto this page's own login page `login` when that is another one (a page of the Django
 * admin or of Wagtail's goes to that admin's login), keeping the server's query.
 */
export function onLoginPage(redirect, login, base) {
  let from, to;
  try { from = new URL(String(redirect), base); to = new URL(String(login), base); } catch { return redirect; }
  if (from.origin === to.origin && from.pathname === to.pathname) return redirect;
  from.searchParams.forEach((value, name) => to.searchParams.set(name, value));
  return to.href;
}

/**
 * The client of one tab. `env` holds what it runs on, so it can be replaced: `WebSocket`,
 * `setTimeout`, `clearTimeout`, `setInterval`, `now()` (ms, monotonic), `wallNow()` (ms, epoch)
 * and `random()`; by default the window's own.
 */
export function start(config, doc = document, env = {}) {
  const win = doc.defaultView;
  const {
    WebSocket = win.WebSocket,
    setTimeout = (fn, ms) => win.setTimeout(fn, ms),
    clearTimeout = (id) => win.clearTimeout(id),
    setInterval = (fn, ms) => win.setInterval(fn, ms),
    now = () => win.performance.now(),
    wallNow = () => Date.now(),
    random = Math.random,
    fetch = (...args) => win.fetch(...args),
  } = env;
  const strings = (typeof config.strings === "object" && config.strings) || {};
  const announce = (typeof strings.announce === "object" && strings.announce) || {};
  const loginUrl = String(config.loginUrl || "/");

  // The tab's own state: the socket's, as announced; whether the page is leaving; the local
  // deadline passed without word from the server (ended); and the two requests not yet
  // confirmed, sent again after each reconnect.
  const tab = { connection: "connecting", finished: false, ended: false, pendingExtend: false, pendingLogout: false, reauthing: null, resuming: false };

  // True unless a listener called preventDefault() on a cancelable event.
  const emit = (name, detail, cancelable = false) => doc.dispatchEvent(new CustomEvent(name, { detail, cancelable }));
  const here = () => win.location.pathname + win.location.search;

  const transport = createTransport({
    url: () => socketUrl(win.location, config.url),
    WebSocket, setTimeout, clearTimeout, random,
    finalCodes: [CLOSE_NOT_AUTHENTICATED],
    onOpen: () => setConnection("open"),
    onFrame: receive,
    onClose: closed,
  });
  const send = (frame) => transport.send(frame);
  const countdown = createCountdown({ now, wallNow, setInterval, template: strings.countdown, thresholds: announce });
  const activity = createActivity({
    now, setTimeout, send,
    stopped: () => tab.finished,
    interval: finite(config.activityInterval) || 10,
  });
  const dialog = createDialog({
    doc, setTimeout, clearTimeout, strings,
    content: () => countdown.show(),
    reconnecting: () => tab.connection === "reconnecting",
    actions: { answer, logout, dismissed },
  });
  const banner = createBanner({ doc, strings });
  // reauthing: while the dialog asks for the password (REAUTH_IN_PLACE), where the tab goes
  // if that fails: the `expired` frame's login page.
  const reauth = createReauth({
    doc, fetch, offer: config.reauth,
    form: () => dialog.current()?.querySelector("[data-sessions-live-reauth]"),
    done: reauthDone,
  });

  function go(url, addNext) {
    tab.finished = true;
    transport.stop();
    dialog.finish();
    const base = win.location.href;
    const target = withNext(url, addNext ? here() : null, base) || withNext(loginUrl, here(), base);
    if (target) win.location.assign(target);
  }

  function setConnection(state) {
    tab.connection = state;
    dialog.current();
    emit("sessions-live:connection", { state });
    dialog.connection(state);
  }

  // Socket -----------------------------------------------------------------------------------

  function closed(code, final) {
    if (final && tab.reauthing) return setConnection("closed"); // a new socket follows a sign-in
    if (final && tab.resuming) return go(tab.resuming, true); // signed in, yet refused
    if (final) {
      setConnection("closed");
      return tab.finished || go(loginUrl, true);
    }
    if (dialog.warned && tab.connection !== "reconnecting") dialog.say(strings.reconnecting);
    setConnection("reconnecting");
  }

  function receive(frame) {
    if (!FRAME_TYPES.has(frame.type)) return;
    // An app may show staff's message its own way: preventDefault() keeps the banner away.
    const unhandled = emit("sessions-live:" + frame.type, frame, frame.type === "broadcast");
    if (tab.finished) return;
    if (frame.type === "broadcast" && unhandled) banner.show(frame);
    if (frame.type === "hello") {
      tab.resuming = false;
      transport.resetBackoff();
      if (finite(frame.activity_interval) > 0) activity.setInterval(frame.activity_interval);
      resync(frame);
      if (tab.pendingLogout) send({ type: "logout" });
      else if (tab.pendingExtend) extend();
      activity.connected();
    } else if (frame.type === "active") {
      resync(frame);
    } else if (frame.type === "warning") {
      if (finite(frame.expires_in) !== null) countdown.set(frame.expires_in, 0);
      leaveEnded();
      dialog.show(frame.reason === "absolute" ? "absolute" : "warning");
    } else if (frame.type === "expired") {
      const redirect = typeof frame.redirect === "string" && frame.redirect ? frame.redirect : loginUrl;
      const target = onLoginPage(redirect, loginUrl, win.location.href);
      if (reauth.available(frame.reason)) enterReauth(target);
      else go(target, true);
    }
  }

  // hello and active: a new deadline; with time left before the warning, no dialog.
  function resync(frame) {
    const left = finite(frame.expires_in), warnIn = finite(frame.warn_in);
    if (left === null || left <= 0) return;
    countdown.set(left, warnIn ?? 0);
    leaveEnded();
    if (warnIn === null || warnIn > 0) dialog.hide();
  }

  // Time -------------------------------------------------------------------------------------

  function tick() {
    const left = countdown.remaining();
    if (left === null || tab.finished || tab.reauthing || tab.resuming) return; // until a hello
    dialog.current();
    // Every recorded activity reaches every tab as `active`, so a passed deadline means the
    // `expired` push was lost (or the socket is deaf): hide now, then ask the server.
    if (left <= 0 && !tab.ended) return enterEnded();
    if (!dialog.warned) return;
    const { countdown: text, announcement } = countdown.step();
    dialog.setCountdown(text);
    if (announcement) dialog.say(announcement);
  }

  // The deadline passed without an `expired` frame (lost push, dead socket): hide the page and
  // ask the server again. A `hello` with time left undoes this; `expired` or 4401 redirect.
  function enterEnded() {
    if (tab.finished) return;
    tab.ended = true;
    doc.documentElement.classList.add("sessions-live-ended");
    dialog.show("ended");
    if (!transport.connecting) transport.reconnect();
  }

  // The session timed out and the page may sign its user in again in place: it stays hidden,
  // the dialog asks for the password; on success the page comes back as it was, with a new
  // socket on the new session; any failure goes to the login page (`target`).
  function enterReauth(target) {
    if (tab.reauthing) return; // asking already: the focus stays where the user types
    tab.reauthing = target;
    tab.ended = true;
    doc.documentElement.classList.add("sessions-live-ended");
    dialog.show("reauth");
    reauth.start();
  }

  function reauthDone(ok) {
    const target = tab.reauthing;
    if (!target || tab.finished) return;
    if (!ok) return go(target, true);
    tab.reauthing = null;
    tab.resuming = target; // the old deadline has passed: nothing is judged until the `hello`
    leaveEnded();
    dialog.hide();
    transport.resetBackoff();
    transport.reconnect();
  }

  function leaveEnded() {
    if (tab.pendingLogout) return; // stays hidden until the server confirms the sign-out
    tab.ended = false;
    doc.documentElement.classList.remove("sessions-live-ended");
  }

  // Answers ----------------------------------------------------------------------------------

  function extend() {
    tab.pendingExtend = !send({ type: "extend" });
    if (tab.pendingExtend && transport.detached) transport.reconnect(); // sent after the next hello
  }

  // Signing out must end the session on the server: leaving for the login page while it may
  // still be valid would leave it open (on a shared computer, for the next person). So the
  // page hides at once and `logout` is sent, again after every reconnect, until the server
  // answers `expired`. Once the deadline has passed ("ended"), the server refuses the
  // session anyway, and the button simply leads to the login page.
  function logout() {
    if (tab.reauthing) return go(tab.reauthing, true);
    if (dialog.mode === "ended") return go(loginUrl, true);
    tab.pendingLogout = true;
    doc.documentElement.classList.add("sessions-live-ended");
    if (!send({ type: "logout" })) transport.reconnect();
  }

  // "Stay signed in", or at the absolute limit "Continue": that only closes the dialog here,
  // since nothing can move an absolute deadline.
  function answer() {
    if (dialog.mode === "absolute") dialog.hide();
    else if (dialog.mode === "warning") extend();
  }

  // The browser closed the dialog without `cancel` (Chrome on a repeated Escape): the same
  // meaning, and the warning comes back unless the extend request is on its way.
  function dismissed(showing) {
    answer();
    if (showing === "ended" || showing === "reauth" || (showing === "warning" && tab.pendingExtend)) dialog.reopen(showing);
  }

  // A lease asks the server to keep the session from idling out for `seconds` (a video, a long
  // form), within its MAX_LEASE and absolute limit; the server answers `active` with the new
  // deadline, or `error` if leases are off. False if there is no open socket to ask on.
  function lease(seconds) {
    return send({ type: "lease", seconds });
  }

  // Keys pressed while the dialog is open operate the dialog (Tab between its buttons, Enter on
  // one): they are not activity, or moving to "Sign out" would extend the session. The mouse,
  // wheel and touch still count, anywhere.
  activity.listen(doc, (event) => event.type === "keydown" && dialog.open);
  win.addEventListener("pagehide", () => {
    // Close the socket so the page can enter the back-forward cache; pageshow reopens it.
    transport.suspend();
    setConnection("closed");
  });
  win.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    transport.resume();
    tick();
  });
  win.addEventListener("online", () => transport.suspended || transport.reconnect());
  doc.addEventListener("visibilitychange", tick);
  countdown.start(tick);
  dialog.observe();
  transport.connect();

  return {
    activity: () => activity.input(),
    extend, lease, logout, reconnect: () => transport.reconnect(),
    /** {connection, dialog, expiresIn, warnIn}: seconds as this tab last heard them. */
    get state() {
      const left = countdown.remaining();
      return { connection: tab.connection, dialog: dialog.mode, expiresIn: left === null ? null : Math.max(0, left), warnIn: countdown.warnIn() };
    },
  };
}

function boot() {
  const element = document.getElementById("sessions-live-config");
  if (!element || window.sessionsLive) return;
  let config;
  try { config = JSON.parse(element.textContent); } catch { return; }
  if (!config || typeof config !== "object" || typeof config.url !== "string") return;
  window.sessionsLive = start(config);
}

if (typeof document !== "undefined" && typeof window !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot, { once: true });
  else boot();
}

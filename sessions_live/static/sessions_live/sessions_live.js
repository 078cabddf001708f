// sessions-live browser client: one WebSocket per tab, the warning dialog, activity reports.
// The server decides everything; this script reports input, shows what it is told, and falls
// back to its own countdown only to hide the page once the server's deadline has passed.
// Plain ES module, no dependency; the only global is window.sessionsLive.

const MIN_DELAY = 250, BASE_DELAY = 500, MAX_DELAY = 30000; // ms, reconnect backoff
const CLOSE_NOT_AUTHENTICATED = 4401;
const FRAME_TYPES = new Set(["hello", "active", "warning", "expired", "error"]);
const INPUT_EVENTS = ["mousemove", "mousedown", "keydown", "wheel", "scroll", "touchstart", "pointerdown"];

// Pure helpers -------------------------------------------------------------------------------

/** Reconnect delay in ms: full jitter over a capped exponential, never below MIN_DELAY. */
export function backoffDelay(attempt, random = Math.random) {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  const cap = Math.min(MAX_DELAY, BASE_DELAY * 2 ** Math.min(n, 30));
  const r = Number(random());
  return Math.max(MIN_DELAY, Math.round((Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0) * cap));
}

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

/** `url` resolved against `base`, with next=`here` added unless it has one; null if not http(s). */
export function withNext(url, here, base) {
  let target;
  try { target = new URL(String(url), base); } catch { return null; }
  if (target.protocol !== "http:" && target.protocol !== "https:") return null;
  if (here != null && !target.searchParams.has("next")) target.searchParams.set("next", here);
  return target.href;
}

const finite = (value) => (typeof value === "number" && Number.isFinite(value) ? value : null);

// The client ---------------------------------------------------------------------------------

export function start(config, doc = document) {
  const win = doc.defaultView;
  const strings = (typeof config.strings === "object" && config.strings) || {};
  const announce = (typeof strings.announce === "object" && strings.announce) || {};
  const loginUrl = String(config.loginUrl || "/");
  let interval = finite(config.activityInterval) || 10; // seconds

  // The dialog and its parts, of the dialog in the document now (see adopt()).
  let dialog = null, textEl = null, countdownEl = null, announceEl = null, titleEl = null;
  let extendButton = null, logoutButton = null, statusEl = null;
  let idleText = "", titleText = "", extendLabel = "", logoutLabel = "";

  let socket = null, connection = "connecting", attempt = 0, reconnectTimer = null;
  let finished = false; // redirected, or about to be: do nothing more
  let suspended = false; // the page went into the back-forward cache
  let deadline = null; // performance.now() ms at which the session ends, per the server
  let wallDeadline = null; // the same on Date.now(): performance.now() may stop while asleep
  let warnAt = null;
  let mode = null; // what the dialog shows: null (closed), "warning", "absolute" or "ended"
  let ended = false; // the local deadline passed and the server has not said otherwise yet
  let previousFocus = null, lastRemaining = null, pendingExtend = false, sayTimer = null;
  let focusedLogout = false; // "Sign out" had the focus in the dialog last
  let pendingLogout = false; // asked to sign out, not yet confirmed by the server
  let lastInput = -Infinity; // performance.now() of the latest input
  let reported = -Infinity; // the latest input the server was told of
  let windowTimer = null; // the activity throttle window

  const emit = (name, detail) => doc.dispatchEvent(new CustomEvent(name, { detail }));
  const here = () => win.location.pathname + win.location.search;
  const isOpen = () => socket !== null && socket.readyState === WebSocket.OPEN;
  const warned = () => mode === "warning" || mode === "absolute";
  const clear = (timer) => { win.clearTimeout(timer); return null; };

  function go(url, addNext) {
    finished = true;
    const base = win.location.href;
    const target = withNext(url, addNext ? here() : null, base) || withNext(loginUrl, here(), base);
    if (target) win.location.assign(target);
  }

  function setConnection(state) {
    connection = state;
    current();
    emit("sessions-live:connection", { state });
    if (statusEl) statusEl.hidden = !(state === "reconnecting" && mode !== null);
  }

  function send(frame) {
    if (!isOpen()) return false;
    try { socket.send(JSON.stringify(frame)); } catch { return false; }
    return true;
  }

  // Socket -----------------------------------------------------------------------------------

  function connect() {
    if (finished || suspended) return;
    const scheme = win.location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try { ws = new WebSocket(scheme + "//" + win.location.host + config.url); } catch { return retry(); }
    socket = ws;
    // Each handler checks `ws === socket`: a socket that was replaced can no longer act.
    ws.addEventListener("open", () => ws === socket && setConnection("open"));
    ws.addEventListener("message", (event) => ws === socket && receive(event.data));
    ws.addEventListener("close", (event) => ws === socket && closed(event.code));
  }

  function drop() {
    reconnectTimer = clear(reconnectTimer);
    const ws = socket;
    socket = null;
    if (ws && ws.readyState <= WebSocket.OPEN) try { ws.close(1000); } catch { /* closing */ }
  }

  function reconnectNow() {
    if (finished) return;
    drop();
    connect();
  }

  function retry() {
    if (finished || suspended || reconnectTimer !== null) return;
    reconnectTimer = win.setTimeout(() => { reconnectTimer = null; connect(); }, backoffDelay(attempt++));
  }

  function closed(code) {
    socket = null;
    if (finished || code === CLOSE_NOT_AUTHENTICATED) {
      setConnection("closed");
      return finished || go(loginUrl, true);
    }
    if (warned() && connection !== "reconnecting") say(strings.reconnecting);
    setConnection("reconnecting");
    retry();
  }

  function receive(data) {
    let frame;
    try { frame = JSON.parse(data); } catch { return; }
    if (!frame || typeof frame !== "object" || !FRAME_TYPES.has(frame.type)) return;
    emit("sessions-live:" + frame.type, frame);
    if (finished) return;
    if (frame.type === "hello") {
      attempt = 0;
      if (finite(frame.activity_interval) > 0) interval = frame.activity_interval;
      resync(frame);
      if (pendingLogout) send({ type: "logout" });
      else if (pendingExtend) extend();
      if (lastInput > reported && reportActivity() && windowTimer === null) openWindow();
    } else if (frame.type === "active") {
      resync(frame);
    } else if (frame.type === "warning") {
      if (finite(frame.expires_in) !== null) setDeadline(frame.expires_in, 0);
      leaveEnded();
      showDialog(frame.reason === "absolute" ? "absolute" : "warning");
    } else if (frame.type === "expired") {
      go(typeof frame.redirect === "string" && frame.redirect ? frame.redirect : loginUrl, true);
    }
  }

  // hello and active: a new deadline; with time left before the warning, no dialog.
  function resync(frame) {
    const left = finite(frame.expires_in), warnIn = finite(frame.warn_in);
    if (left === null || left <= 0) return;
    setDeadline(left, warnIn ?? 0);
    leaveEnded();
    if (warnIn === null || warnIn > 0) hideDialog();
  }

  // Time -------------------------------------------------------------------------------------

  function setDeadline(expiresIn, warnIn) {
    const now = performance.now();
    deadline = now + expiresIn * 1000;
    wallDeadline = Date.now() + expiresIn * 1000;
    warnAt = now + warnIn * 1000;
  }

  function remaining() {
    if (deadline === null) return null;
    return Math.min(deadline - performance.now(), wallDeadline - Date.now()) / 1000;
  }

  function tick() {
    const left = remaining();
    if (left === null || finished) return;
    current();
    // Every recorded activity reaches every tab as `active`, so a passed deadline means the
    // `expired` push was lost (or the socket is deaf): hide now, then ask the server.
    if (left <= 0 && !ended) return enterEnded();
    if (!warned()) return;
    if (countdownEl) countdownEl.textContent = fillTime(strings.countdown, formatCountdown(left));
    const text = announcementFor(lastRemaining, left, announce);
    if (text) say(text);
    lastRemaining = left;
  }

  // The deadline passed without an `expired` frame (lost push, dead socket): hide the page and
  // ask the server again. A `hello` with time left undoes this; `expired` or 4401 redirect.
  function enterEnded() {
    if (finished) return;
    ended = true;
    doc.documentElement.classList.add("sessions-live-ended");
    showDialog("ended");
    if (!socket || socket.readyState !== WebSocket.CONNECTING) reconnectNow();
  }

  function leaveEnded() {
    if (pendingLogout) return; // stays hidden until the server confirms the sign-out
    ended = false;
    doc.documentElement.classList.remove("sessions-live-ended");
  }

  // Dialog -----------------------------------------------------------------------------------

  function say(text) {
    if (!announceEl || !text) return;
    // Empty, then fill: a live region speaks only when its content changes.
    announceEl.textContent = "";
    clear(sayTimer);
    sayTimer = win.setTimeout(() => { current(); if (announceEl) announceEl.textContent = text; }, 100);
  }

  // `again`: the same warning in a dialog that replaced the one showing it (see adopt()).
  function showDialog(next, again = false) {
    if (!current()) return;
    const opening = !dialog.open, changed = next !== mode;
    const keepLogout = again && focusedLogout; // before showModal() focuses the first button
    mode = next;
    if (opening) {
      if (!again) previousFocus = doc.activeElement;
      try { dialog.showModal(); } catch { return; } // detached, or opened non-modal elsewhere
    }
    const text = { warning: idleText, absolute: strings.absolute, ended: strings.ended }[next];
    if (textEl) textEl.textContent = text ?? "";
    if (titleEl) titleEl.textContent = next === "ended" ? strings.endedTitle || titleText : titleText;
    if (extendButton) {
      // At the absolute limit nothing can extend the session: the button only acknowledges.
      extendButton.hidden = next === "ended";
      extendButton.textContent = next === "absolute" ? strings.continue || extendLabel : extendLabel;
    }
    if (logoutButton) logoutButton.textContent = next === "ended" ? strings.signIn || logoutLabel : logoutLabel;
    if (statusEl) statusEl.hidden = connection !== "reconnecting";
    const left = Math.max(0, remaining() ?? 0);
    const countdown = fillTime(strings.countdown, formatCountdown(left));
    if (countdownEl) countdownEl.textContent = next === "ended" ? "" : countdown;
    lastRemaining = left;
    if (opening || changed) {
      // Shown again, focus goes back to the button that had it: Enter must not change meaning.
      const button = [keepLogout ? logoutButton : null, extendButton, logoutButton].find((b) => b && !b.hidden);
      if (button && (opening || button !== doc.activeElement)) button.focus();
      // One announcement on opening (not again for the same warning in a new dialog); the
      // countdown itself is aria-hidden.
      if (!again) say(next === "ended" ? strings.ended : announcementFor(left + 1, left, announce) || countdown);
    }
  }

  function hideDialog() {
    mode = null;
    current();
    if (statusEl) statusEl.hidden = true;
    if (!dialog || !dialog.open) return;
    dialog.close();
    if (previousFocus?.isConnected) previousFocus.focus?.({ preventScroll: true });
    previousFocus = null;
  }

  function extend() {
    pendingExtend = !send({ type: "extend" });
    if (pendingExtend && socket === null) reconnectNow(); // sent after the next hello
  }

  // Signing out must end the session on the server: leaving for the login page while it may
  // still be valid would leave it open (on a shared computer, for the next person). So the
  // page hides at once and `logout` is sent, again after every reconnect, until the server
  // answers `expired`. Once the deadline has passed ("ended"), the server refuses the
  // session anyway, and the button simply leads to the login page.
  function logout() {
    if (mode === "ended") return go(loginUrl, true);
    pendingLogout = true;
    doc.documentElement.classList.add("sessions-live-ended");
    if (!send({ type: "logout" })) reconnectNow();
  }

  // "Stay signed in", or at the absolute limit "Continue": that only closes the dialog here,
  // since nothing can move an absolute deadline.
  function answer() {
    if (mode === "absolute") hideDialog();
    else if (mode === "warning") extend();
  }

  // The dialog may be replaced at any time: hx-boost swaps the body's content, Turbo Drive the
  // body itself, and this module does not run again. current() adopts the dialog in the
  // document now whenever the one held is gone (a MutationObserver calls it as soon as the page
  // changes); a warning that was showing shows again in the new dialog.
  function current() {
    if (dialog?.isConnected) return dialog;
    const found = doc.querySelector("dialog.sessions-live-dialog");
    if (found !== dialog) adopt(found);
    return dialog;
  }

  // The text an element had when this script first saw it, kept on it: a copy of a dialog this
  // script changed (htmx's and Turbo's history snapshots) still knows what the template said.
  function original(element) {
    if (!element) return "";
    if (!("sessionsLiveOriginal" in element.dataset)) element.dataset.sessionsLiveOriginal = element.textContent;
    return element.dataset.sessionsLiveOriginal;
  }

  function adopt(element) {
    dialog = element;
    const find = (selector) => (element ? element.querySelector(selector) : null);
    textEl = find(".sessions-live-text");
    countdownEl = find("[data-sessions-live-countdown]");
    announceEl = find("[data-sessions-live-announce]");
    extendButton = find("[data-sessions-live-extend]");
    logoutButton = find("[data-sessions-live-logout]");
    titleEl = find(".sessions-live-title");
    [idleText, titleText, extendLabel, logoutLabel] = [textEl, titleEl, extendButton, logoutButton].map(original);
    // The template has no place for "reconnecting": add one line to the dialog.
    statusEl = find("[data-sessions-live-status]");
    if (element && !statusEl) {
      statusEl = Object.assign(doc.createElement("p"), { className: "sessions-live-status", hidden: true });
      statusEl.dataset.sessionsLiveStatus = "";
      if (countdownEl || textEl) (countdownEl || textEl).after(statusEl);
      else element.append(statusEl);
    }
    if (statusEl) statusEl.textContent = strings.reconnecting ?? "";
    if (!element) return;
    listen(element);
    // A copy of an open dialog (a history snapshot) is open but not modal: shut it without a
    // `close` event, then show what this tab is showing now, if anything.
    element.removeAttribute("open");
    if (statusEl) statusEl.hidden = true;
    if (mode !== null && !finished) showDialog(mode, true);
  }

  const listening = new WeakSet();

  function listen(element) {
    if (listening.has(element)) return;
    listening.add(element);
    // Escape must not hide the warning while the session keeps running out: it answers the
    // dialog like its first button (extend, or acknowledge the absolute limit); it does
    // nothing once the session has ended.
    element.addEventListener("cancel", (event) => {
      if (element !== dialog) return;
      event.preventDefault();
      answer();
    });
    // Browsers may close a modal without `cancel` (Chrome on a repeated Escape): same meaning,
    // and the warning comes back unless the extend request is on its way.
    element.addEventListener("close", () => {
      if (element !== dialog || mode === null || finished || element.open) return;
      const showing = mode;
      answer();
      if (showing === "ended" || (showing === "warning" && pendingExtend)) {
        mode = null;
        showDialog(showing);
      }
    });
    // Keep Tab inside the dialog: a modal dialog makes the page inert, but Tab from its last
    // button would otherwise leave for the browser's own controls.
    element.addEventListener("keydown", (event) => {
      if (event.key !== "Tab" || element !== dialog) return;
      const buttons = [...element.querySelectorAll("button")].filter((b) => !b.hidden && !b.disabled);
      if (buttons.length === 0) return;
      const first = buttons[0], last = buttons[buttons.length - 1];
      const inside = buttons.includes(doc.activeElement);
      if (event.shiftKey && (doc.activeElement === first || !inside)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (doc.activeElement === last || !inside)) {
        event.preventDefault();
        first.focus();
      }
    });
    element.addEventListener("focusin", (event) => {
      if (element === dialog) focusedLogout = event.target === logoutButton;
    });
    element.addEventListener("click", (event) => {
      if (element !== dialog || !(event.target instanceof win.Element)) return;
      const button = event.target.closest("button");
      if (button && button === extendButton) answer();
      else if (button && button === logoutButton) logout();
    });
  }

  // Activity: reported on the leading and trailing edges of `interval`-second windows ---------

  function reportActivity() {
    const idle = Math.max(0, (performance.now() - lastInput) / 1000);
    if (idle > interval) return false; // the server would clamp it: too old to report truthfully
    if (!send({ type: "activity", idle: Math.round(idle * 1000) / 1000 })) return false;
    reported = lastInput;
    return true;
  }

  function openWindow() {
    windowTimer = win.setTimeout(() => {
      windowTimer = null;
      if (lastInput > reported && reportActivity()) openWindow();
    }, interval * 1000);
  }

  // A lease asks the server to keep the session from idling out for `seconds` (a video, a long
  // form), within its MAX_LEASE and absolute limit; the server answers `active` with the new
  // deadline, or `error` if leases are off. False if there is no open socket to ask on.
  function lease(seconds) {
    return send({ type: "lease", seconds });
  }

  function activity() {
    lastInput = performance.now();
    if (windowTimer !== null || finished) return; // the trailing edge reports it
    reportActivity();
    openWindow();
  }

  // Keys pressed while the dialog is open operate the dialog (Tab between its buttons, Enter on
  // one): they are not activity, or moving to "Sign out" would extend the session. The mouse,
  // wheel and touch still count, anywhere.
  function onInput(event) {
    if (event.type === "keydown" && current()?.open) return;
    activity();
  }

  for (const type of INPUT_EVENTS) doc.addEventListener(type, onInput, { capture: true, passive: true });
  win.addEventListener("pagehide", () => {
    // Close the socket so the page can enter the back-forward cache; pageshow reopens it.
    suspended = true;
    drop();
    setConnection("closed");
  });
  win.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    suspended = false;
    attempt = 0;
    reconnectNow();
    tick();
  });
  win.addEventListener("online", () => suspended || reconnectNow());
  doc.addEventListener("visibilitychange", tick);
  win.setInterval(tick, 1000);
  current();
  if (typeof win.MutationObserver === "function") {
    new win.MutationObserver(() => dialog?.isConnected || current()).observe(doc.documentElement, {
      childList: true,
      subtree: true,
    });
  }
  connect();

  return {
    activity, extend, lease, logout, reconnect: reconnectNow,
    /** {connection, dialog, expiresIn, warnIn}: seconds as this tab last heard them. */
    get state() {
      const left = remaining();
      const warnIn = warnAt === null ? null : Math.max(0, (warnAt - performance.now()) / 1000);
      return { connection, dialog: mode, expiresIn: left === null ? null : Math.max(0, left), warnIn };
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

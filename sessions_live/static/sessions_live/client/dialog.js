// The warning <dialog class="sessions-live-dialog">: what it shows, its focus, its keyboard and
// its live region. It decides nothing: its buttons, Escape and a close call the owner back.
//
// The dialog may be replaced at any time: hx-boost swaps the body's content, Turbo Drive the
// body itself, and the client does not run again. current() adopts the dialog in the document
// now whenever the one held is gone (a MutationObserver calls it as soon as the page changes);
// a warning that was showing shows again in the new dialog.

/**
 * `doc`: the document; `setTimeout` / `clearTimeout`; `strings` (the server's, translated).
 * `content()`: called as the dialog shows, returns `{countdown, announcement}` (the countdown
 * text and the opening announcement). `reconnecting()`: whether the socket is reconnecting now.
 * `actions`: `answer()` (its first button, or Escape), `logout()` (its second button), and
 * `dismissed(mode)` (the browser closed it without `cancel`, showing `mode`).
 */
export function createDialog({ doc, setTimeout, clearTimeout, strings, content, reconnecting, actions }) {
  const win = doc.defaultView;
  // parts: the dialog in the document now and its elements; texts: what the template said;
  // mode: what it shows, null (closed), "warning", "absolute", "ended" or "reauth" (signing in
  // again in place, client/reauth.js); previousFocus: where
  // focus goes back on close; focusedLogout: "Sign out" had the focus last; finished: the page
  // is leaving, show nothing again.
  const parts = { dialog: null, text: null, countdown: null, announce: null, title: null, extend: null, logout: null, status: null };
  const texts = { idle: "", title: "", extend: "", logout: "" };
  const state = { mode: null, previousFocus: null, focusedLogout: false, sayTimer: null, finished: false };
  const listening = new WeakSet();

  function current() {
    if (parts.dialog?.isConnected) return parts.dialog;
    const found = doc.querySelector("dialog.sessions-live-dialog");
    if (found !== parts.dialog) adopt(found);
    return parts.dialog;
  }

  // The text an element had when this script first saw it, kept on it: a copy of a dialog this
  // script changed (htmx's and Turbo's history snapshots) still knows what the template said.
  function original(element) {
    if (!element) return "";
    if (!("sessionsLiveOriginal" in element.dataset)) element.dataset.sessionsLiveOriginal = element.textContent;
    return element.dataset.sessionsLiveOriginal;
  }

  function adopt(element) {
    const find = (selector) => (element ? element.querySelector(selector) : null);
    Object.assign(parts, {
      dialog: element,
      text: find(".sessions-live-text"),
      countdown: find("[data-sessions-live-countdown]"),
      announce: find("[data-sessions-live-announce]"),
      extend: find("[data-sessions-live-extend]"),
      logout: find("[data-sessions-live-logout]"),
      title: find(".sessions-live-title"),
      // The template has no place for "reconnecting": add one line to the dialog.
      status: find("[data-sessions-live-status]"),
    });
    [texts.idle, texts.title, texts.extend, texts.logout] = [parts.text, parts.title, parts.extend, parts.logout].map(original);
    if (element && !parts.status) {
      parts.status = Object.assign(doc.createElement("p"), { className: "sessions-live-status", hidden: true });
      parts.status.dataset.sessionsLiveStatus = "";
      if (parts.countdown || parts.text) (parts.countdown || parts.text).after(parts.status);
      else element.append(parts.status);
    }
    if (parts.status) parts.status.textContent = strings.reconnecting ?? "";
    if (!element) return;
    listen(element);
    // A copy of an open dialog (a history snapshot) is open but not modal: shut it without a
    // `close` event, then show what this tab is showing now, if anything.
    element.removeAttribute("open");
    if (parts.status) parts.status.hidden = true;
    if (state.mode !== null && !state.finished) show(state.mode, true);
  }

  function say(text) {
    if (!parts.announce || !text) return;
    // Empty, then fill: a live region speaks only when its content changes.
    parts.announce.textContent = "";
    clearTimeout(state.sayTimer);
    state.sayTimer = setTimeout(() => { current(); if (parts.announce) parts.announce.textContent = text; }, 100);
  }

  // `again`: the same warning in a dialog that replaced the one showing it (see adopt()).
  function show(next, again = false) {
    if (!current()) return;
    const { dialog, extend, logout } = parts;
    const opening = !dialog.open, changed = next !== state.mode;
    const keepLogout = again && state.focusedLogout; // before showModal() focuses the first button
    state.mode = next;
    if (opening) {
      if (!again) state.previousFocus = doc.activeElement;
      try { dialog.showModal(); } catch { return; } // detached, or opened non-modal elsewhere
    }
    const text = { warning: texts.idle, absolute: strings.absolute, ended: strings.ended, reauth: strings.reauthText }[next];
    const over = next === "ended" || next === "reauth"; // the session is over: no countdown
    if (parts.text) parts.text.textContent = text ?? "";
    if (parts.title) parts.title.textContent = over ? strings.endedTitle || texts.title : texts.title;
    if (extend) {
      // At the absolute limit nothing can extend the session: the button only acknowledges.
      extend.hidden = over;
      extend.textContent = next === "absolute" ? strings.continue || texts.extend : texts.extend;
    }
    if (logout) logout.textContent = { ended: strings.signIn, reauth: strings.toLogin }[next] || texts.logout;
    const form = dialog.querySelector("[data-sessions-live-reauth]");
    if (form) form.hidden = next !== "reauth"; // signing in again in place (client/reauth.js)
    if (parts.status) parts.status.hidden = !reconnecting();
    const { countdown, announcement } = content();
    if (parts.countdown) parts.countdown.textContent = over ? "" : countdown;
    if (opening || changed) {
      // Shown again, focus goes back to the button that had it: Enter must not change meaning.
      const button = [keepLogout ? logout : null, extend, logout].find((b) => b && !b.hidden);
      if (button && (opening || button !== doc.activeElement)) button.focus();
      // One announcement on opening (not again for the same warning in a new dialog); the
      // countdown itself is aria-hidden.
      if (!again) say(over ? text : announcement);
    }
  }

  function hide() {
    state.mode = null;
    current();
    if (parts.status) parts.status.hidden = true;
    if (!parts.dialog || !parts.dialog.open) return;
    parts.dialog.close();
    if (state.previousFocus?.isConnected) state.previousFocus.focus?.({ preventScroll: true });
    state.previousFocus = null;
  }

  function listen(element) {
    if (listening.has(element)) return;
    listening.add(element);
    // Escape must not hide the warning while the session keeps running out: it answers the
    // dialog like its first button (extend, or acknowledge the absolute limit); it does
    // nothing once the session has ended.
    element.addEventListener("cancel", (event) => {
      if (element !== parts.dialog) return;
      event.preventDefault();
      actions.answer();
    });
    // Browsers may close a modal without `cancel` (Chrome on a repeated Escape): the owner
    // answers it the same way, and may show it again (reopen()).
    element.addEventListener("close", () => {
      if (element !== parts.dialog || state.mode === null || state.finished || element.open) return;
      actions.dismissed(state.mode);
    });
    // Keep Tab inside the dialog: a modal dialog makes the page inert, but Tab from its last
    // button would otherwise leave for the browser's own controls.
    element.addEventListener("keydown", (event) => {
      if (event.key !== "Tab" || element !== parts.dialog) return;
      const buttons = [...element.querySelectorAll("button, input")].filter((b) => !b.disabled && !b.closest("[hidden]") && b.type !== "hidden");
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
      if (element === parts.dialog) state.focusedLogout = event.target === parts.logout;
    });
    element.addEventListener("click", (event) => {
      if (element !== parts.dialog || !(event.target instanceof win.Element)) return;
      const button = event.target.closest("button");
      if (button && button === parts.extend) actions.answer();
      else if (button && button === parts.logout) actions.logout();
    });
  }

  return {
    current,
    show,
    hide,
    say,
    /** Shown again after the browser closed it (see actions.dismissed). */
    reopen(mode) {
      state.mode = null;
      show(mode);
    },
    /** The countdown line, while the dialog is open. */
    setCountdown(text) {
      if (parts.countdown) parts.countdown.textContent = text;
    },
    /** The socket's state changed: "Reconnecting…" shows while it reconnects under a dialog. */
    connection(name) {
      current();
      if (parts.status) parts.status.hidden = !(name === "reconnecting" && state.mode !== null);
    },
    /** The page is leaving: a replaced dialog is not shown again. */
    finish() { state.finished = true; },
    /** Follow the document: adopt a new dialog as soon as one replaces ours. */
    observe() {
      current();
      if (typeof win.MutationObserver !== "function") return;
      new win.MutationObserver(() => parts.dialog?.isConnected || current()).observe(doc.documentElement, {
        childList: true,
        subtree: true,
      });
    },
    get mode() { return state.mode; },
    /** The user is being warned (the dialog shows the warning, idle or absolute). */
    get warned() { return state.mode === "warning" || state.mode === "absolute"; },
    get open() { return Boolean(current()?.open); },
  };
}

// The live-sessions dashboard: a snapshot, then changes, over /ws/sessions-live/dashboard/.
// Every user-controlled value (username, IP, user agent) is set with textContent, never HTML.
//
// The table is kept, not rebuilt: one <tr> per session id, patched when a frame changes that
// session, hidden when a filter leaves it out, moved when the sort asks. Frames only update
// the model; the DOM follows at most once per animation frame, however many frames arrived.
// The socket is the tab client's transport (client/transport.js), with its backoff.

import { createBroadcastForm } from "./broadcast_form.js";
import { createTransport } from "./client/transport.js";
import { backoffDelay, fill, socketUrl } from "./utils.js";

export function formatDuration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "–";
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

// One backoff for both clients (utils.js), still importable from here.
export { backoffDelay };

// Which items of a sorted list may stay where they are, given each one's current position
// (-1: not placed yet): those on a longest increasing run of positions. Moving only the
// others puts the list in order with the fewest moves.
export function settled(positions) {
  const keep = new Array(positions.length).fill(false);
  const tails = [], previous = new Array(positions.length).fill(-1);
  for (let i = 0; i < positions.length; i++) {
    const position = positions[i];
    if (position < 0) continue;
    let low = 0, high = tails.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (positions[tails[middle]] < position) low = middle + 1;
      else high = middle;
    }
    if (low > 0) previous[i] = tails[low - 1];
    tails[low] = i;
  }
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = previous[i]) keep[i] = true;
  return keep;
}

// Columns, in the template's order.
const USER = 0, IP = 1, BROWSER = 2, STARTED = 3, LAST = 4, IDLE = 5, EXPIRES = 6, TABS = 7;
const STATE = 8, ACTIONS = 9;

function start(root, config) {
  const strings = config.strings || {};
  const body = root.querySelector("[data-rows]");
  const status = root.querySelector("[data-board-status]");
  const empty = root.querySelector("[data-empty]");
  const stateFilter = root.querySelector('[data-filter="state"]');
  const userFilter = root.querySelector('[data-filter="user"]');
  const sortButton = root.querySelector('[data-sort="idle"]');
  // id -> {row, at: performance.now() when received, tr, cells, texts, state, shown, ...}
  const entries = new Map();
  const dirty = new Set(); // ids whose row changed since the last paint
  const doomed = []; // rows of removed sessions, to take out of the table
  let canEnd = root.dataset.canEnd === "true";
  let canBroadcast = root.dataset.canBroadcast === "true";
  let sortByIdle = false;
  let scheduled = false, cleared = false, timesDue = false, resort = false, pendingTotals = null;

  // Times in the page's language (the admin renders <html lang>), not the browser's; the
  // options are those toLocaleTimeString uses.
  const lang = document.documentElement.lang || undefined;
  const clock = { hour: "numeric", minute: "numeric", second: "numeric" };
  let timeFormat;
  try { timeFormat = new Intl.DateTimeFormat(lang, clock); } catch { timeFormat = new Intl.DateTimeFormat(undefined, clock); } // not a BCP 47 tag
  const time = (epoch) => (epoch ? timeFormat.format(new Date(epoch * 1000)) : "–");

  const since = (entry, now) => (now - entry.at) / 1000;
  const idleFor = (entry, now) => entry.row.idle_for + (entry.row.state === "ended" ? 0 : since(entry, now));

  function stateOf(entry, now) {
    const { row } = entry;
    if (row.state === "ended" || row.state === "idle") return row.state;
    return row.warn_in !== null && row.warn_in - since(entry, now) <= 0 ? "warning" : "active";
  }

  const send = (frame) => transport.send(frame);
  const broadcastForm = createBroadcastForm(root.querySelector("[data-broadcast]"), { strings, send });

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(paint);
  }

  // Rows ------------------------------------------------------------------------------------

  // A cell's text, written only when it differs; into its text node when it has one alone.
  function put(entry, column, text) {
    if (entry.texts[column] === text) return;
    entry.texts[column] = text;
    const cell = entry.cells[column], node = cell.firstChild;
    if (node && node.nodeType === Node.TEXT_NODE && !node.nextSibling && text) node.data = text;
    else cell.textContent = text;
  }

  function create(entry) {
    const tr = document.createElement("tr");
    tr.dataset.id = entry.row.id;
    const count = canEnd || canBroadcast ? ACTIONS + 1 : STATE + 1;
    entry.cells = [];
    for (let column = 0; column < count; column++) entry.cells.push(tr.appendChild(document.createElement("td")));
    entry.cells[IDLE].className = "sessions-live-idle";
    entry.cells[STATE].className = "sessions-live-state";
    entry.tr = tr;
    entry.texts = [];
    entry.state = entry.shown = entry.endable = entry.who = entry.agent = null;
  }

  function patchUser(entry) {
    const { user } = entry.row;
    const who = `${user.url || ""}\n${user.username}`;
    if (entry.who === who) return;
    entry.who = who;
    entry.search = user.username.toLowerCase();
    const td = entry.cells[USER];
    if (user.url) {
      const link = Object.assign(document.createElement("a"), { href: user.url });
      link.textContent = user.username;
      td.replaceChildren(link);
    } else td.textContent = user.username;
  }

  function patchState(entry, state) {
    const { row } = entry;
    if (entry.state !== state) {
      entry.state = state;
      entry.tr.dataset.state = state;
    }
    let label = (strings.states || {})[state] || state;
    if (state === "ended") {
      const reason = (strings.reasons || {})[row.end_reason] || row.end_reason;
      label += reason ? ` (${reason})` : "";
      if (row.ended_by) label += " " + fill(strings.endedBy, { user: row.ended_by.username });
    }
    put(entry, STATE, label);
    const live = state !== "ended";
    if ((canEnd || canBroadcast) && entry.endable !== live) {
      entry.endable = live;
      const buttons = [];
      if (live && canEnd) buttons.push(button(strings.end, "end"), button(strings.endUser, "end_user"));
      if (live && canBroadcast) buttons.push(button(strings.message, "message"), button(strings.messageUser, "message_user"));
      entry.cells[ACTIONS].replaceChildren(...buttons);
    }
  }

  function button(label, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button";
    b.dataset.action = action;
    b.textContent = label;
    return b;
  }

  function patchTimes(entry, now) {
    put(entry, IDLE, formatDuration(idleFor(entry, now)));
    const { row } = entry;
    put(entry, EXPIRES, row.expires_in === null ? "–" : formatDuration(row.expires_in - since(entry, now)));
  }

  function patch(entry, now) {
    const { row } = entry;
    patchUser(entry);
    put(entry, IP, row.ip || "–");
    put(entry, BROWSER, [row.browser, row.os].filter(Boolean).join(" · ") || row.user_agent || "–");
    if (entry.agent !== row.user_agent) entry.cells[BROWSER].title = entry.agent = row.user_agent;
    put(entry, STARTED, time(row.started));
    put(entry, LAST, time(row.last_activity));
    put(entry, TABS, String(row.tabs));
    patchState(entry, stateOf(entry, now));
    patchTimes(entry, now);
  }

  // Order: by sign-in, newest first, or by idle time, longest first; existing rows move, only
  // those out of place.
  function order(now) {
    const list = [...entries.values()];
    if (sortByIdle) {
      for (const entry of list) entry.idle = idleFor(entry, now);
      list.sort((a, b) => b.idle - a.idle);
    } else list.sort((a, b) => b.row.started - a.row.started);
    const placed = new Map();
    let index = 0;
    for (const tr of body.children) placed.set(tr, index++);
    const keep = settled(list.map((entry) => placed.get(entry.tr) ?? -1));
    let next = null;
    for (let i = list.length - 1; i >= 0; i--) {
      const { tr } = list[i];
      if (!keep[i]) body.insertBefore(tr, next);
      next = tr;
    }
  }

  // The one place that writes the table, once per animation frame at most.
  function paint() {
    scheduled = false;
    const now = performance.now();
    if (cleared) {
      body.replaceChildren();
      cleared = false;
    }
    for (const tr of doomed) tr.remove();
    doomed.length = 0;
    let moved = resort || (sortByIdle && (timesDue || dirty.size > 0));
    for (const id of dirty) {
      const entry = entries.get(id);
      if (!entry) continue;
      if (!entry.tr) {
        create(entry);
        moved = true;
      } else if (entry.started !== entry.row.started) moved = true;
      entry.started = entry.row.started;
      patch(entry, now);
    }
    const wanted = stateFilter.value, who = userFilter.value.trim().toLowerCase();
    let shown = 0;
    for (const entry of entries.values()) {
      const state = stateOf(entry, now);
      if (state !== entry.state) patchState(entry, state); // a warning reached on this clock
      const visible = (!wanted || state === wanted) && (!who || entry.search.includes(who));
      if (visible !== entry.shown) {
        entry.shown = visible;
        entry.tr.hidden = !visible;
        if (visible) patchTimes(entry, now); // not ticked while hidden
      } else if (visible && timesDue) patchTimes(entry, now);
      if (visible) shown++;
    }
    dirty.clear();
    if (moved) order(now);
    timesDue = resort = false;
    empty.hidden = shown > 0;
    if (empty.textContent !== (strings.none || "")) empty.textContent = strings.none || "";
    if (pendingTotals) {
      for (const [key, value] of Object.entries(pendingTotals)) {
        const element = root.querySelector(`[data-total="${key}"]`);
        if (element && element.textContent !== String(value)) element.textContent = String(value);
      }
      pendingTotals = null;
    }
  }

  // Frames ----------------------------------------------------------------------------------

  function receive(frame) {
    const at = performance.now();
    if (broadcastForm.answer(frame)) return; // the answer to a message staff sent
    if (frame.type === "snapshot") {
      // Everything again (a reconnection): the rows in it, and those of the `changes` after
      // it when it has `more`, replace the table.
      entries.clear();
      dirty.clear();
      doomed.length = 0;
      cleared = true;
      canEnd = Boolean(frame.can_end);
      canBroadcast = Boolean(frame.can_broadcast);
      broadcastForm.reset();
    } else if (frame.type === "error") {
      // The frame's own message is for developers, in English: show the translated one.
      status.textContent = (frame.code === "not_found" ? strings.notFound : strings.forbidden) || "";
      return;
    } else if (frame.type !== "changes") return;
    for (const row of frame.sessions || []) {
      const entry = entries.get(row.id);
      if (entry) Object.assign(entry, { row, at });
      else entries.set(row.id, { row, at, tr: null });
      dirty.add(row.id);
    }
    for (const id of frame.removed || []) {
      const entry = entries.get(id);
      if (!entry) continue;
      if (entry.tr) doomed.push(entry.tr);
      entries.delete(id);
      dirty.delete(id);
    }
    if (frame.totals) pendingTotals = { ...pendingTotals, ...frame.totals };
    schedule();
  }

  // Signed out (or this session is over), or not allowed: trying again cannot help, so say
  // which, and do not claim to reconnect.
  const transport = createTransport({
    url: () => socketUrl(location, config.socket),
    WebSocket,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id),
    finalCodes: [4401, 4403],
    onOpen() {
      transport.resetBackoff();
      status.textContent = strings.connected || "";
      root.classList.remove("sessions-live-offline");
    },
    onFrame: receive,
    onClose(code, final) {
      root.classList.add("sessions-live-offline");
      if (final) status.textContent = (code === 4401 ? strings.signedOut : strings.notAllowed) || "";
      else status.textContent = strings.reconnecting || "";
    },
  });

  body.addEventListener("click", (event) => {
    const target = event.target.closest("button[data-action]");
    const entry = target && entries.get(target.closest("tr").dataset.id);
    if (!entry || entry.row.state === "ended") return;
    const { id, user } = entry.row;
    const action = target.dataset.action;
    if (action === "message") broadcastForm.aim({ to: "session", id }, fill(strings.toSession, { user: user.username }));
    else if (action === "message_user") broadcastForm.aim({ to: "user", user_id: user.id }, fill(strings.toUser, { user: user.username }));
    else if (action === "end") {
      if (window.confirm(fill(strings.confirmEnd, { user: user.username }))) send({ type: "end", id });
    } else if (window.confirm(fill(strings.confirmEndUser, { user: user.username }))) {
      send({ type: "end_user", user_id: user.id });
    }
  });
  stateFilter.addEventListener("change", schedule);
  userFilter.addEventListener("input", schedule);
  sortButton.addEventListener("click", () => {
    sortByIdle = !sortByIdle;
    sortButton.closest("th").setAttribute("aria-sort", sortByIdle ? "descending" : "none");
    resort = true;
    schedule();
  });
  // Idle-for and expires-in tick between frames: the shown rows' time cells, nothing else.
  setInterval(() => {
    timesDue = true;
    schedule();
  }, 1000);
  transport.connect();
}

if (typeof document !== "undefined") {
  const root = document.querySelector(".sessions-live-board");
  const config = document.getElementById("sessions-live-dashboard-config");
  if (root && config) start(root, JSON.parse(config.textContent));
}

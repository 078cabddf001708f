// The live-sessions dashboard: a snapshot, then changes, over /ws/sessions-live/dashboard/.
// Every user-controlled value (username, IP, user agent) is set with textContent, never HTML.

export function formatDuration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "–";
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

export function backoffDelay(attempt, random = Math.random) {
  return Math.max(250, random() * Math.min(30000, 500 * 2 ** Math.min(attempt, 16)));
}

const fill = (template, values) =>
  String(template).replace(/%\((\w+)\)s/g, (_, key) => (key in values ? String(values[key]) : ""));

function start(root, config) {
  const strings = config.strings || {};
  const body = root.querySelector("[data-rows]");
  const status = root.querySelector("[data-board-status]");
  const empty = root.querySelector("[data-empty]");
  const stateFilter = root.querySelector('[data-filter="state"]');
  const userFilter = root.querySelector('[data-filter="user"]');
  const sortButton = root.querySelector('[data-sort="idle"]');
  const rows = new Map(); // id -> {row, at: performance.now() when received}
  let canEnd = root.dataset.canEnd === "true";
  let sortByIdle = false, socket = null, attempt = 0;

  const since = (entry) => (performance.now() - entry.at) / 1000;
  // Times in the page's language (the admin renders <html lang>), not the browser's.
  const lang = document.documentElement.lang || undefined;
  function time(epoch) {
    if (!epoch) return "–";
    const date = new Date(epoch * 1000);
    try { return date.toLocaleTimeString(lang); } catch { return date.toLocaleTimeString(); } // not a BCP 47 tag
  }

  function stateOf(entry) {
    const { row } = entry;
    if (row.state === "ended" || row.state === "idle") return row.state;
    return row.warn_in !== null && row.warn_in - since(entry) <= 0 ? "warning" : "active";
  }

  function cell(tr, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    tr.append(td);
    return td;
  }

  function button(label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function render() {
    const wanted = stateFilter.value, who = userFilter.value.trim().toLowerCase();
    let entries = [...rows.values()].filter((entry) => {
      if (wanted && stateOf(entry) !== wanted) return false;
      return !who || entry.row.user.username.toLowerCase().includes(who);
    });
    const idle = (entry) => entry.row.idle_for + (entry.row.state === "ended" ? 0 : since(entry));
    entries.sort(sortByIdle ? (a, b) => idle(b) - idle(a) : (a, b) => b.row.started - a.row.started);
    const fragment = document.createDocumentFragment();
    for (const entry of entries) {
      const { row } = entry, state = stateOf(entry);
      const tr = document.createElement("tr");
      tr.dataset.id = row.id;
      tr.dataset.state = state;
      const userCell = document.createElement("td");
      if (row.user.url) {
        const link = Object.assign(document.createElement("a"), { href: row.user.url });
        link.textContent = row.user.username;
        userCell.append(link);
      } else userCell.textContent = row.user.username;
      tr.append(userCell);
      cell(tr, row.ip || "–");
      cell(tr, [row.browser, row.os].filter(Boolean).join(" · ") || row.user_agent || "–").title = row.user_agent;
      cell(tr, time(row.started));
      cell(tr, time(row.last_activity));
      cell(tr, formatDuration(idle(entry)), "sessions-live-idle");
      cell(tr, row.expires_in === null ? "–" : formatDuration(row.expires_in - since(entry)));
      cell(tr, String(row.tabs));
      let label = (strings.states || {})[state] || state;
      if (state === "ended") {
        const reason = (strings.reasons || {})[row.end_reason] || row.end_reason;
        label += reason ? ` (${reason})` : "";
        if (row.ended_by) label += " " + fill(strings.endedBy, { user: row.ended_by.username });
      }
      cell(tr, label, "sessions-live-state");
      if (canEnd) {
        const actions = cell(tr, "");
        if (state !== "ended") {
          const user = row.user.username;
          actions.append(button(strings.end, () => {
            if (window.confirm(fill(strings.confirmEnd, { user }))) send({ type: "end", id: row.id });
          }));
          actions.append(button(strings.endUser, () => {
            if (window.confirm(fill(strings.confirmEndUser, { user }))) send({ type: "end_user", user_id: row.user.id });
          }));
        }
      }
      fragment.append(tr);
    }
    body.replaceChildren(fragment);
    empty.hidden = entries.length > 0;
    empty.textContent = strings.none || "";
  }

  function totals(values) {
    for (const [key, value] of Object.entries(values || {})) {
      const element = root.querySelector(`[data-total="${key}"]`);
      if (element) element.textContent = String(value);
    }
  }

  function receive(data) {
    let frame;
    try { frame = JSON.parse(data); } catch { return; }
    if (!frame || typeof frame !== "object") return;
    const at = performance.now();
    if (frame.type === "snapshot") {
      rows.clear();
      canEnd = Boolean(frame.can_end);
      for (const row of frame.sessions || []) rows.set(row.id, { row, at });
    } else if (frame.type === "changes") {
      for (const row of frame.sessions || []) rows.set(row.id, { row, at });
      for (const id of frame.removed || []) rows.delete(id);
    } else if (frame.type === "error") {
      // The frame's own message is for developers, in English: show the translated one.
      status.textContent = (frame.code === "not_found" ? strings.notFound : strings.forbidden) || "";
      return;
    } else return;
    totals(frame.totals);
    render();
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + location.host + config.socket);
    socket.addEventListener("open", () => {
      attempt = 0;
      status.textContent = strings.connected || "";
      root.classList.remove("sessions-live-offline");
    });
    socket.addEventListener("message", (event) => receive(event.data));
    socket.addEventListener("close", (event) => {
      socket = null;
      status.textContent = strings.reconnecting || "";
      root.classList.add("sessions-live-offline");
      if (event.code === 4401 || event.code === 4403) return; // signed out, or not allowed
      setTimeout(connect, backoffDelay(attempt++));
    });
  }

  stateFilter.addEventListener("change", render);
  userFilter.addEventListener("input", render);
  sortButton.addEventListener("click", () => {
    sortByIdle = !sortByIdle;
    sortButton.closest("th").setAttribute("aria-sort", sortByIdle ? "descending" : "none");
    render();
  });
  setInterval(render, 1000); // idle-for and expires-in tick between frames
  connect();
}

if (typeof document !== "undefined") {
  const root = document.querySelector(".sessions-live-board");
  const config = document.getElementById("sessions-live-dashboard-config");
  if (root && config) start(root, JSON.parse(config.textContent));
}

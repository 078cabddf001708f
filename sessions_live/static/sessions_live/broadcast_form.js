// The dashboard's form for a message to open tabs: to every open tab, or to the user or the
// session a row's "Message" button aimed it at. A sent message is answered by
// `broadcast_sent`, or `broadcast_refused` saying why; a reconnect forgets one in flight.

import { fill } from "./utils.js";

/** The answers this form claims: what a refused message's `error` code is shown as. */
const REFUSALS = { rate_limited: "rateLimited", not_found: "noTab", forbidden: "forbidden" };

/**
 * `form`: the page's [data-broadcast] form, or null (staff without the permission), then a
 * form that does nothing. `send(frame)` sends a frame on the dashboard's socket.
 */
export function createBroadcastForm(form, { strings, send }) {
  if (!form) return { aim() {}, answer: () => false, reset() {} };
  const text = form.elements.text;
  const shown = form.querySelector("[data-broadcast-target]");
  const everyone = form.querySelector("[data-broadcast-everyone]");
  const status = form.querySelector("[data-broadcast-status]");
  let target = { to: "all" };
  let waiting = false;

  /** Aim the next message at `next` (`{to, id}` or `{to, user_id}`), shown as `name`. */
  function aim(next, name) {
    target = next;
    shown.textContent = name;
    everyone.hidden = next.to === "all";
    text.focus();
  }

  /** Whether `frame` answered the message sent last (and say how it went). */
  function answer(frame) {
    if (frame.type !== "broadcast_sent" && frame.type !== "broadcast_refused") return false;
    if (!waiting) return true; // an answer to a message this page no longer waits for
    waiting = false;
    if (frame.type === "broadcast_sent") {
      status.textContent = fill(strings.sent, { count: frame.sessions });
      text.value = "";
    } else status.textContent = strings[REFUSALS[frame.code] || "notSent"] || "";
    return true;
  }

  everyone.addEventListener("click", () => aim({ to: "all" }, strings.toAll));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const message = text.value.trim();
    if (!message) return;
    waiting = true;
    status.textContent = strings.sending || "";
    send({ type: "broadcast", text: message, ...target });
  });
  /** The socket opened again: an answer to a message in flight may never come. */
  function reset() {
    if (!waiting) return;
    waiting = false;
    status.textContent = strings.notSent || "";
  }

  return { aim, answer, reset };
}

// The dashboard's form for a message to open tabs: to every open tab, or to the user or the
// session a row's "Message" button aimed it at. The answer to a sent message (its
// `broadcast_sent`, or the `error` that refused it) is the next such frame on the socket.

import { fill } from "./utils.js";

/** The answers this form claims: what a refused message's `error` code is shown as. */
const REFUSALS = { rate_limited: "rateLimited", not_found: "noTab", forbidden: "forbidden", invalid_field: "notSent" };

/**
 * `form`: the page's [data-broadcast] form, or null (staff without the permission), then a
 * form that does nothing. `send(frame)` sends a frame on the dashboard's socket.
 */
export function createBroadcastForm(form, { strings, send }) {
  if (!form) return { aim() {}, answer: () => false };
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
    if (!waiting || (frame.type !== "broadcast_sent" && frame.type !== "error")) return false;
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
  return { aim, answer };
}

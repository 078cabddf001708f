// Messages staff send to open tabs (`broadcast` frames): each shown once in the page's polite
// live region (the client's markup carries it, empty, so a screen reader is listening before
// the first message arrives), with a button to dismiss it. aria-live, not role="status": an
// empty status on every page would be one more "status" for the page's own tests to tell
// from theirs. The text is set with textContent:
// staff's words, verbatim and inert, never markup.

/**
 * `doc`: the page's document; `strings`: `broadcastTitle` and `dismiss`, translated. The
 * region is `[data-sessions-live-broadcasts]`, made at the top of the body if the page lacks it.
 */
export function createBanner({ doc, strings }) {
  const shown = new Set(); // ids: a message reaches each tab once, even after a reconnect

  function region() {
    let found = doc.querySelector("[data-sessions-live-broadcasts]");
    if (!found) {
      found = doc.createElement("div");
      found.className = "sessions-live-broadcasts";
      found.dataset.sessionsLiveBroadcasts = "";
      found.setAttribute("aria-live", "polite");
      doc.body.prepend(found);
    }
    return found;
  }

  function dismiss(item) {
    const next = item.nextElementSibling || item.previousElementSibling;
    const hadFocus = item.contains(doc.activeElement);
    item.remove();
    if (hadFocus && next) next.querySelector("button").focus();
  }

  /** Show `frame`'s message; false if it has no text or was shown already. */
  function show(frame) {
    const id = String(frame.id ?? ""), text = typeof frame.text === "string" ? frame.text : "";
    if (!text.trim() || shown.has(id)) return false;
    shown.add(id);
    const item = doc.createElement("div");
    item.className = "sessions-live-broadcast";
    item.dataset.id = id;
    const title = doc.createElement("strong");
    title.className = "sessions-live-broadcast-title";
    title.textContent = strings.broadcastTitle || "";
    const body = doc.createElement("p");
    body.className = "sessions-live-broadcast-text";
    body.textContent = text;
    const close = doc.createElement("button");
    close.type = "button";
    close.className = "sessions-live-broadcast-dismiss";
    close.textContent = strings.dismiss || "×";
    close.addEventListener("click", () => dismiss(item));
    item.append(title, body, close);
    region().append(item);
    return true;
  }

  return { show };
}

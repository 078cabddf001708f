// Signing in again in place (REAUTH_IN_PLACE): the dialog's form posts the same user's
// password to the server, with the token the page was given; the server answers with the CSRF
// token Django rotated at sign-in, which every form of the page then carries. Anything but
// success is the owner's to handle (it goes to the login page, keeping nothing).

/** Put `token` in every CSRF field of the page's forms (Django rotates it at sign-in). */
export function updateCsrf(doc, token) {
  for (const input of doc.querySelectorAll('input[name="csrfmiddlewaretoken"]')) input.value = token;
}

/**
 * `offer`: the page's `config.reauth` ({url, token, csrf}), or nothing (off). `fetch`: the
 * window's. `form()`: the dialog's [data-sessions-live-reauth] form now (the dialog may be
 * replaced). `done(ok, reason)`: called once per attempt.
 */
export function createReauth({ doc, fetch, offer, form, done }) {
  const on = Boolean(offer && typeof offer.url === "string" && typeof offer.token === "string");
  const listening = new WeakSet();
  let busy = false;

  /** Whether the session that ended for `reason` may be taken up again here: a timeout. */
  const available = (reason) => on && Boolean(form()) && (reason === "idle" || reason === "absolute");

  async function submit(element) {
    if (busy) return;
    busy = true;
    const body = new FormData(element);
    body.set("token", offer.token);
    body.set("csrfmiddlewaretoken", offer.csrf || "");
    let answer = null;
    try {
      const response = await fetch(offer.url, { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" } });
      answer = await response.json().catch(() => null);
      if (!response.ok) answer = { ok: false, reason: answer?.reason || String(response.status) };
    } catch {
      answer = { ok: false, reason: "network" };
    }
    busy = false;
    element.reset();
    if (answer?.ok && typeof answer.csrf_token === "string") {
      offer.csrf = answer.csrf_token;
      updateCsrf(doc, answer.csrf_token);
      done(true, null);
    } else done(false, answer?.reason || "failed");
  }

  /** Show the form (in the dialog the owner opened) and listen to it. */
  function start() {
    const element = form();
    if (!element) return;
    element.hidden = false;
    if (!listening.has(element)) {
      listening.add(element);
      element.addEventListener("submit", (event) => {
        event.preventDefault();
        submit(element);
      });
    }
    const name = element.elements.username, password = element.elements.password;
    (name && !name.value ? name : password)?.focus();
  }

  function stop() {
    const element = form();
    if (element) element.hidden = true;
  }

  return { available, start, stop };
}

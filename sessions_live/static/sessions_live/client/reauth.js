// Signing in again in place (REAUTH_IN_PLACE): the dialog's form posts the same user's
// password to the server, with the token the page was given; the server answers with the CSRF
// token Django rotated at sign-in, which every form of the page then carries. Anything but
// success is the owner's to handle (it goes to the login page, keeping nothing).

/** Put `token` in every CSRF field of the page's forms (Django rotates it at sign-in). */
export function updateCsrf(doc, token) {
  for (const input of doc.querySelectorAll('input[name="csrfmiddlewaretoken"]')) input.value = token;
}

/** The value of cookie `name` in `doc`, or null. */
export function cookieValue(doc, name) {
  for (const part of String(doc.cookie || "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/**
 * `offer`: the page's `config.reauth` ({url, token, csrf, csrfCookie?}), or nothing (off).
 * `fetch`: the window's. `form()`: the dialog's [data-sessions-live-reauth] form now (the
 * dialog may be replaced: a submit is caught on the document, whichever form it comes from).
 * `done(ok, reason)`: called once per attempt.
 */
export function createReauth({ doc, fetch, offer, form, done }) {
  const on = Boolean(offer && typeof offer.url === "string" && typeof offer.token === "string");
  let busy = false, active = false;

  /** Whether the session that ended for `reason` may be taken up again here: a timeout. */
  const available = (reason) => on && Boolean(form()) && (reason === "idle" || reason === "absolute");

  // The newest CSRF token: the cookie's, where the page may read it (another tab's sign-in
  // rotated it), else the one the page was given or last told.
  const csrf = () => (offer.csrfCookie && cookieValue(doc, offer.csrfCookie)) || offer.csrf || "";

  async function submit(element) {
    if (busy) return;
    busy = true;
    const body = new FormData(element);
    body.set("token", offer.token);
    body.set("csrfmiddlewaretoken", csrf());
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
      if (typeof answer.token === "string") offer.token = answer.token; // the new session's
      updateCsrf(doc, answer.csrf_token);
      active = false;
      done(true, null);
    } else done(false, answer?.reason || "failed");
  }

  // One listener for every form the dialog may ever hold: its own markup (a replaced dialog's
  // too) posts nothing by itself, and the password never goes into a URL.
  if (on) {
    doc.addEventListener("submit", (event) => {
      const element = event.target;
      if (!(element instanceof doc.defaultView.HTMLFormElement) || !element.matches("[data-sessions-live-reauth]")) return;
      event.preventDefault();
      if (active) submit(element);
    }, true);
  }

  /** Show the form (in the dialog the owner opened) and give it the focus. */
  function start() {
    const element = form();
    if (!element) return;
    active = true;
    element.hidden = false;
    const name = element.elements.username, password = element.elements.password;
    (name && !name.value ? name : password)?.focus();
  }

  return { available, start };
}

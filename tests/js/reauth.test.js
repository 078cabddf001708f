import { cookieValue, createReauth, updateCsrf } from "/static/sessions_live/client/reauth.js";
import { start } from "/static/sessions_live/sessions_live.js";
import { fakeTimers, fakeWebSockets } from "./fakes.js";
import { deepEqual, equal, ok, test } from "./runner.js";

// The markup of sessions_live/templates/sessions_live/script.html with REAUTH_IN_PLACE on.
const DIALOG = `
<dialog class="sessions-live-dialog">
  <h2 class="sessions-live-title">Are you still there?</h2>
  <p class="sessions-live-text">You will be signed out soon.</p>
  <p data-sessions-live-countdown aria-hidden="true"></p>
  <p role="status" aria-live="polite" data-sessions-live-announce></p>
  <form class="sessions-live-reauth" data-sessions-live-reauth method="post" action="/account/sessions/reauth/" hidden>
    <p><label for="u">Username</label><input id="u" name="username" value="alice"></p>
    <p><label for="p">Password</label><input id="p" name="password" type="password"></p>
    <button type="submit">Sign in and carry on</button>
  </form>
  <div><button type="button" data-sessions-live-extend>Stay signed in</button>
  <button type="button" data-sessions-live-logout>Sign out</button></div>
</dialog>
<form id="page-form"><input type="hidden" name="csrfmiddlewaretoken" value="old"><textarea name="notes"></textarea></form>`;

const OFFER = { url: "/account/sessions/reauth/", token: "1:signed", csrf: "old", username: "alice", csrfCookie: "test-csrf" };
const STRINGS = {
  ended: "Your session has ended.", endedTitle: "Signed out", signIn: "Sign in again",
  reauthText: "Sign in again to carry on.", toLogin: "Go to the sign-in page",
};

/** A fake fetch answering with `status` and `body` (or throwing, for a network failure). */
function fakeFetch(status, body) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init, fields: Object.fromEntries(init.body.entries()) });
    if (status === null) throw new TypeError("Failed to fetch");
    return { ok: status >= 200 && status < 300, status, json: async () => body };
  };
  return { fetch, calls };
}

/** A page of its own (an iframe, removed by `done()`) holding the dialog and a form. */
function frame() {
  const iframe = document.body.appendChild(document.createElement("iframe"));
  const doc = iframe.contentDocument;
  doc.body.innerHTML = DIALOG;
  return { doc, done: () => iframe.remove() };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

test("updateCsrf: every CSRF field of the page carries the new token", () => {
  const { doc, done } = frame();
  doc.body.insertAdjacentHTML("beforeend", '<form><input type="hidden" name="csrfmiddlewaretoken" value="old"></form>');
  updateCsrf(doc, "new");
  deepEqual([...doc.querySelectorAll('[name="csrfmiddlewaretoken"]')].map((i) => i.value), ["new", "new"]);
  done();
});

test("offered only for a timeout, with an offer and a form", () => {
  const { doc, done } = frame();
  const form = () => doc.querySelector("[data-sessions-live-reauth]");
  const reauth = createReauth({ doc, fetch: null, offer: OFFER, form, done: () => {} });
  deepEqual(["idle", "absolute", "terminated", "password_changed", "logout"].map(reauth.available), [true, true, false, false, false]);
  equal(createReauth({ doc, fetch: null, offer: undefined, form, done: () => {} }).available("idle"), false);
  equal(createReauth({ doc, fetch: null, offer: OFFER, form: () => null, done: () => {} }).available("idle"), false);
  done();
});

test("a sign-in posts the form with the page's token and CSRF token, then updates the page", async () => {
  const { doc, done } = frame();
  const { fetch, calls } = fakeFetch(200, { ok: true, csrf_token: "rotated", token: "2:signed" });
  const results = [];
  const offer = { ...OFFER };
  const reauth = createReauth({ doc, fetch, offer, form: () => doc.querySelector("[data-sessions-live-reauth]"), done: (...a) => results.push(a) });
  reauth.start();
  const form = doc.querySelector("[data-sessions-live-reauth]");
  equal(form.hidden, false);
  form.elements.password.value = "secret";
  form.requestSubmit();
  await settle();
  deepEqual(calls.map((c) => [c.url, c.init.method, c.fields]), [[OFFER.url, "POST", { username: "alice", password: "secret", token: "1:signed", csrfmiddlewaretoken: "old" }]]);
  deepEqual(results, [[true, null]]);
  equal(doc.querySelector('#page-form [name="csrfmiddlewaretoken"]').value, "rotated");
  equal(offer.csrf, "rotated");
  equal(offer.token, "2:signed", "the new session's token, for the next time");
  equal(form.elements.password.value, "", "the password is not kept in the page");
  done();
});

test("a refusal, a non-JSON answer or a network failure is a failure, with its reason", async () => {
  for (const [status, body, reason] of [[401, { ok: false, reason: "failed" }, "failed"], [403, { ok: false, reason: "other_user" }, "other_user"], [429, null, "429"], [null, null, "network"], [200, { ok: false }, "failed"]]) {
    const { doc, done } = frame();
    const { fetch } = fakeFetch(status, body);
    const results = [];
    const reauth = createReauth({ doc, fetch, offer: { ...OFFER }, form: () => doc.querySelector("[data-sessions-live-reauth]"), done: (...a) => results.push(a) });
    reauth.start();
    doc.querySelector("[data-sessions-live-reauth]").requestSubmit();
    await settle();
    deepEqual(results, [[false, reason]], `status ${status}`);
    equal(doc.querySelector('#page-form [name="csrfmiddlewaretoken"]').value, "old");
    done();
  }
});

test("the form takes the focus where it is empty: the password when the username is filled in", () => {
  const holder = document.body.appendChild(document.createElement("div"));
  holder.innerHTML = DIALOG;
  holder.querySelector("dialog").show(); // the client opens it before it starts the form
  const form = holder.querySelector("[data-sessions-live-reauth]");
  const reauth = createReauth({ doc: document, fetch: null, offer: OFFER, form: () => form, done: () => {} });
  reauth.start();
  equal(document.activeElement, form.elements.password);
  form.elements.username.value = "";
  reauth.start();
  equal(document.activeElement, form.elements.username);
  holder.remove();
});

test("cookieValue: one cookie of the page's, decoded; null when it has none", () => {
  const doc = { cookie: "a=1; test-csrf=abc%3D; b=2" };
  equal(cookieValue(doc, "test-csrf"), "abc=");
  equal(cookieValue(doc, "missing"), null);
  equal(cookieValue({ cookie: "" }, "a"), null);
});

test("the newest CSRF token is the cookie's, where another tab's sign-in rotated it", async () => {
  const { doc, done } = frame();
  const cookies = { value: "test-csrf=fromcookie" };
  Object.defineProperty(doc, "cookie", { get: () => cookies.value });
  const { fetch, calls } = fakeFetch(403, { ok: false, reason: "refused" });
  const reauth = createReauth({ doc, fetch, offer: { ...OFFER }, form: () => doc.querySelector("[data-sessions-live-reauth]"), done: () => {} });
  reauth.start();
  doc.querySelector("[data-sessions-live-reauth]").requestSubmit();
  await settle();
  equal(calls[0].fields.csrfmiddlewaretoken, "fromcookie");
  cookies.value = "";
  reauth.start();
  doc.querySelector("[data-sessions-live-reauth]").requestSubmit();
  await settle();
  equal(calls[1].fields.csrfmiddlewaretoken, "old", "no cookie: the token the page was given");
  done();
});

test("a form in a dialog that replaced the first one posts through fetch too, never by itself", async () => {
  const { doc, done } = frame();
  const { fetch, calls } = fakeFetch(200, { ok: true, csrf_token: "rotated" });
  const results = [];
  const reauth = createReauth({ doc, fetch, offer: { ...OFFER }, form: () => doc.querySelector("[data-sessions-live-reauth]"), done: (...a) => results.push(a) });
  reauth.start();
  const old = doc.querySelector("dialog");
  old.replaceWith(old.cloneNode(true)); // what htmx or Turbo does to the page's body
  const form = doc.querySelector("[data-sessions-live-reauth]");
  form.elements.password.value = "secret";
  form.requestSubmit();
  await settle();
  deepEqual([calls.length, results], [1, [[true, null]]]);
  equal(doc.defaultView.location.href, "about:blank", "the page did not navigate");
  done();
});

/** The client in a page of its own, on fake time and sockets, its fetch answering `answer`. */
function client(answer) {
  const { doc, done } = frame();
  const timers = fakeTimers(), sockets = fakeWebSockets();
  const { fetch, calls } = fakeFetch(...answer);
  const api = start({ url: "/ws/", loginUrl: "/login", strings: STRINGS, reauth: { ...OFFER } }, doc, {
    WebSocket: sockets.WebSocket, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout,
    setInterval: timers.setInterval, now: timers.now, wallNow: () => 1_800_000_000_000, random: () => 0.5, fetch,
  });
  sockets.last.open();
  sockets.last.deliver({ type: "hello", warn_in: 0, expires_in: 30, warn_after: 540, expire_after: 600, activity_interval: 10 });
  return { doc, done, sockets, calls, api, timers };
}

test("at an idle expiry the page stays, hidden, and the dialog asks for the password", () => {
  const { doc, done, sockets, api } = client([200, { ok: true, csrf_token: "rotated" }]);
  doc.querySelector('[name="notes"]').value = "unsaved words";
  sockets.last.deliver({ type: "expired", reason: "idle", redirect: "/login?signed_out=idle" });
  sockets.last.closeFromServer(4401);
  ok(doc.documentElement.classList.contains("sessions-live-ended"), "the page is hidden");
  equal(api.state.dialog, "reauth");
  equal(doc.querySelector("[data-sessions-live-reauth]").hidden, false);
  equal(doc.querySelector(".sessions-live-title").textContent, "Signed out");
  equal(doc.querySelector("[data-sessions-live-logout]").textContent, "Go to the sign-in page");
  equal(doc.querySelector('[name="notes"]').value, "unsaved words");
  equal(sockets.sockets.length, 1, "no reconnect after 4401 until signed in");
  done();
});

test("signed in again: the page comes back as it was, on a new socket", async () => {
  const { doc, done, sockets, api, calls, timers } = client([200, { ok: true, csrf_token: "rotated" }]);
  doc.querySelector('[name="notes"]').value = "unsaved words";
  sockets.last.deliver({ type: "expired", reason: "idle", redirect: "/login?signed_out=idle" });
  sockets.last.closeFromServer(4401);
  const form = doc.querySelector("[data-sessions-live-reauth]");
  form.elements.password.value = "secret";
  form.requestSubmit();
  await settle();
  equal(calls.length, 1);
  equal(doc.documentElement.classList.contains("sessions-live-ended"), false, "the page shows again");
  equal(api.state.dialog, null);
  equal(doc.querySelector('[name="notes"]').value, "unsaved words", "unsaved input kept");
  equal(doc.querySelector('#page-form [name="csrfmiddlewaretoken"]').value, "rotated");
  equal(sockets.sockets.length, 2, "a new socket, on the new session's cookie");
  // The old deadline has passed: until the new session's hello, nothing hides the page again.
  timers.advance(5000);
  equal(doc.documentElement.classList.contains("sessions-live-ended"), false);
  sockets.last.open();
  sockets.last.deliver({ type: "hello", warn_in: 500, expires_in: 600, warn_after: 540, expire_after: 600, activity_interval: 10 });
  timers.advance(5000);
  equal(api.state.dialog, null);
  equal(doc.documentElement.classList.contains("sessions-live-ended"), false);
  done();
});

test("another reason than a timeout leaves for the login page as before", () => {
  const { doc, done, sockets, api } = client([200, { ok: true, csrf_token: "rotated" }]);
  sockets.last.deliver({ type: "expired", reason: "terminated", redirect: "/login?signed_out=terminated" });
  equal(api.state.dialog === "reauth", false);
  equal(doc.querySelector("[data-sessions-live-reauth]").hidden, true);
  done();
});

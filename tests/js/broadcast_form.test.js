import { createBroadcastForm } from "/static/sessions_live/broadcast_form.js";
import { deepEqual, equal, test } from "./runner.js";

// The form of sessions_live/templates/admin/sessions_live/dashboard.html.
const MARKUP = `
<form data-broadcast>
  <p>To: <strong data-broadcast-target>every open tab</strong>
    <button type="button" data-broadcast-everyone hidden>Send to every open tab instead</button></p>
  <textarea name="text"></textarea>
  <button type="submit">Send</button>
  <p role="status" data-broadcast-status></p>
</form>`;

const STRINGS = {
  toAll: "every open tab", sending: "Sending…", sent: "Sent: %(count)s.",
  rateLimited: "Too many.", noTab: "No open tab.", forbidden: "Not allowed.", notSent: "Not sent.",
};

function setUp() {
  for (const old of document.querySelectorAll("form[data-broadcast]")) old.remove();
  const holder = document.createElement("div");
  holder.innerHTML = MARKUP;
  document.body.append(holder);
  const form = holder.querySelector("form");
  const sent = [];
  const broadcast = createBroadcastForm(form, { strings: STRINGS, send: (frame) => sent.push(frame) });
  const status = () => form.querySelector("[data-broadcast-status]").textContent;
  return { form, sent, broadcast, status, done: () => holder.remove() };
}

test("a message goes to every open tab unless a row aimed it, and says so", () => {
  const { form, sent, broadcast, done } = setUp();
  form.elements.text.value = "  Back in 5 minutes.  ";
  form.requestSubmit();
  broadcast.aim({ to: "session", id: "abc" }, "this session of alice");
  equal(form.querySelector("[data-broadcast-target]").textContent, "this session of alice");
  equal(form.querySelector("[data-broadcast-everyone]").hidden, false);
  equal(document.activeElement, form.elements.text);
  form.elements.text.value = "Only you.";
  form.requestSubmit();
  form.querySelector("[data-broadcast-everyone]").click();
  equal(form.querySelector("[data-broadcast-everyone]").hidden, true);
  form.requestSubmit();
  deepEqual(sent, [
    { type: "broadcast", text: "Back in 5 minutes.", to: "all" },
    { type: "broadcast", text: "Only you.", to: "session", id: "abc" },
    { type: "broadcast", text: "Only you.", to: "all" },
  ]);
  done();
});

test("an empty message is not sent", () => {
  const { form, sent, done } = setUp();
  form.elements.text.value = "   ";
  form.requestSubmit();
  deepEqual(sent, []);
  done();
});

test("the answer says how it went, in the page's language", () => {
  const { form, broadcast, status, done } = setUp();
  form.elements.text.value = "Hello";
  form.requestSubmit();
  equal(status(), "Sending…");
  equal(broadcast.answer({ type: "broadcast_sent", id: "1", sessions: 3 }), true);
  equal(status(), "Sent: 3.");
  equal(form.elements.text.value, "", "a sent message leaves the box");
  for (const [code, said] of [["rate_limited", "Too many."], ["not_found", "No open tab."], ["forbidden", "Not allowed."], ["other", "Not sent."]]) {
    form.elements.text.value = "Again";
    form.requestSubmit();
    broadcast.answer({ type: "broadcast_refused", code, message: "…" });
    equal(status(), said);
    equal(form.elements.text.value, "Again", "a refused message stays to send again");
  }
  done();
});

test("other frames are not its; a reconnect forgets a message in flight", () => {
  const { form, broadcast, status, done } = setUp();
  equal(broadcast.answer({ type: "changes", sessions: [] }), false);
  equal(broadcast.answer({ type: "error", code: "not_found" }), false, "an `end`'s error is the dashboard's");
  form.elements.text.value = "Hello";
  form.requestSubmit();
  broadcast.reset();
  equal(status(), "Not sent.");
  equal(broadcast.answer({ type: "broadcast_sent", id: "1", sessions: 1 }), true, "claimed, not shown");
  equal(status(), "Not sent.");
  done();
});

test("without the permission there is no form, and nothing to answer", () => {
  const broadcast = createBroadcastForm(null, { strings: STRINGS, send: () => {} });
  equal(broadcast.answer({ type: "broadcast_sent" }), false);
  broadcast.aim({ to: "all" }, "x");
  broadcast.reset();
});

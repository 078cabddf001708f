import { createDialog } from "/static/sessions_live/client/dialog.js";
import { fakeTimers } from "./fakes.js";
import { deepEqual, equal, ok, test } from "./runner.js";

// The markup of sessions_live/templates/sessions_live/script.html, in English.
const MARKUP = `
<h2 id="t" class="sessions-live-title">Are you still there?</h2>
<p class="sessions-live-text">You will be signed out soon.</p>
<p class="sessions-live-countdown" data-sessions-live-countdown aria-hidden="true"></p>
<p class="sessions-live-status" data-sessions-live-status hidden></p>
<p role="status" aria-live="polite" data-sessions-live-announce></p>
<div><button type="button" data-sessions-live-extend>Stay signed in</button>
<button type="button" data-sessions-live-logout>Sign out</button></div>`;

const STRINGS = {
  absolute: "Your session has reached its limit.", ended: "Your session has ended.", endedTitle: "Signed out",
  continue: "Continue", signIn: "Sign in again", reconnecting: "Connection lost. Reconnecting…",
};

function element(markup = MARKUP) {
  const dialog = document.createElement("dialog");
  dialog.className = "sessions-live-dialog";
  dialog.innerHTML = markup;
  return dialog;
}

/** A dialog in the document (the only one: each test removes its own), on fake timers. */
function setUp({ markup } = {}) {
  for (const old of document.querySelectorAll("dialog, #outside")) old.remove();
  const timers = fakeTimers(), calls = [];
  const outside = Object.assign(document.createElement("button"), { id: "outside", textContent: "Outside" });
  document.body.append(outside, element(markup));
  outside.focus();
  const link = { reconnecting: false };
  const dialog = createDialog({
    doc: document, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout, strings: STRINGS,
    content: () => ({ countdown: "Signed out in 1:00.", announcement: "1 minute left" }),
    reconnecting: () => link.reconnecting,
    actions: {
      answer: () => calls.push("answer"),
      logout: () => calls.push("logout"),
      dismissed: (mode) => calls.push("dismissed " + mode),
    },
  });
  const find = (selector) => document.querySelector("dialog.sessions-live-dialog " + selector);
  return { timers, calls, link, dialog, outside, find, el: () => document.querySelector("dialog.sessions-live-dialog") };
}

test("show: opens modal, focus on Stay signed in; hide: closes, focus back where it was", () => {
  const { dialog, outside, find, el } = setUp();
  equal(dialog.mode, null);
  dialog.show("warning");
  ok(el().open && el().matches(":modal"), "open and modal");
  equal(dialog.mode, "warning");
  ok(dialog.warned && dialog.open);
  equal(document.activeElement, find("[data-sessions-live-extend]"));
  equal(find("[data-sessions-live-countdown]").textContent, "Signed out in 1:00.");
  dialog.hide();
  ok(!el().open, "closed");
  equal(dialog.mode, null);
  equal(document.activeElement, outside, "focus restored");
});

test("the opening announcement reaches the live region 100 ms later, emptied first", () => {
  const { timers, dialog, find } = setUp();
  const region = find("[data-sessions-live-announce]");
  region.textContent = "stale";
  dialog.show("warning");
  equal(region.textContent, "", "emptied");
  timers.advance(99);
  equal(region.textContent, "");
  timers.advance(1);
  equal(region.textContent, "1 minute left");
  dialog.say("30 seconds left");
  dialog.say("10 seconds left");
  timers.advance(100);
  equal(region.textContent, "10 seconds left", "the latest wins");
  dialog.show("warning");
  timers.advance(100);
  equal(region.textContent, "10 seconds left", "the same warning again says nothing");
});

test("absolute: Continue instead of Stay signed in; ended: only Sign in again, no countdown", () => {
  const { dialog, find } = setUp();
  dialog.show("absolute");
  equal(find(".sessions-live-text").textContent, STRINGS.absolute);
  equal(find("[data-sessions-live-extend]").textContent, "Continue");
  dialog.show("ended");
  ok(find("[data-sessions-live-extend]").hidden, "extend hidden");
  equal(find("[data-sessions-live-logout]").textContent, "Sign in again");
  equal(document.activeElement, find("[data-sessions-live-logout]"), "focus on the one button left");
  equal(find(".sessions-live-title").textContent, "Signed out");
  equal(find("[data-sessions-live-countdown]").textContent, "");
  dialog.show("warning");
  deepEqual(
    [find(".sessions-live-title").textContent, find(".sessions-live-text").textContent, find("[data-sessions-live-extend]").textContent],
    ["Are you still there?", "You will be signed out soon.", "Stay signed in"],
    "the template's texts again",
  );
  ok(!find("[data-sessions-live-extend]").hidden);
});

test("Escape (cancel) answers like the first button and keeps the dialog open", () => {
  const { calls, dialog, el } = setUp();
  dialog.show("warning");
  const cancel = new Event("cancel", { cancelable: true });
  el().dispatchEvent(cancel);
  ok(cancel.defaultPrevented, "not closed by the browser");
  ok(el().open);
  deepEqual(calls, ["answer"]);
});

test("a close without cancel is handed to the owner, who may reopen it", async () => {
  const { calls, dialog, el } = setUp();
  dialog.show("warning");
  const closed = new Promise((resolve) => el().addEventListener("close", resolve, { once: true }));
  el().close();
  await closed;
  deepEqual(calls, ["dismissed warning"]);
  dialog.reopen("warning");
  ok(el().open, "shown again");
  equal(dialog.mode, "warning");
});

test("buttons: Stay signed in answers, Sign out logs out", () => {
  const { calls, dialog, find } = setUp();
  dialog.show("warning");
  find("[data-sessions-live-extend]").click();
  find("[data-sessions-live-logout]").click();
  deepEqual(calls, ["answer", "logout"]);
});

test("Tab and Shift+Tab stay among the dialog's buttons", () => {
  const { dialog, find } = setUp();
  dialog.show("warning");
  const extend = find("[data-sessions-live-extend]"), logout = find("[data-sessions-live-logout]");
  const tab = (shiftKey) => {
    const event = new KeyboardEvent("keydown", { key: "Tab", shiftKey, bubbles: true, cancelable: true });
    document.activeElement.dispatchEvent(event);
    return event.defaultPrevented;
  };
  equal(tab(true), true, "Shift+Tab from the first wraps");
  equal(document.activeElement, logout);
  equal(tab(false), true, "Tab from the last wraps");
  equal(document.activeElement, extend);
  equal(tab(false), false, "Tab from the first is the browser's");
});

test("a replacing dialog is adopted and shows the same warning, focus where it was, no new announcement", () => {
  const { timers, dialog, find, el } = setUp();
  dialog.show("warning");
  find("[data-sessions-live-logout]").focus();
  timers.advance(100);
  const old = el();
  const copy = old.cloneNode(true); // a history snapshot: open, not modal, texts as changed
  old.replaceWith(copy);
  equal(dialog.current(), copy);
  ok(copy.open && copy.matches(":modal"), "shown modal again");
  equal(document.activeElement, find("[data-sessions-live-logout]"), "Sign out still has the focus");
  equal(find("[data-sessions-live-announce]").textContent, "1 minute left", "not emptied to speak again");
  timers.advance(100);
  equal(find("[data-sessions-live-announce]").textContent, "1 minute left");
  find("[data-sessions-live-extend]").click();
  ok(true);
});

test("closing a replacing dialog gives focus back to where it was before the first opened", () => {
  const { dialog, outside, el } = setUp();
  dialog.show("warning");
  el().replaceWith(el().cloneNode(true)); // the browser's own restore target is now gone
  dialog.current();
  dialog.hide();
  equal(document.activeElement, outside);
});

test("a replacing dialog is not shown once the page is leaving", () => {
  const { dialog, el } = setUp();
  dialog.show("warning");
  dialog.finish();
  const copy = element();
  el().replaceWith(copy);
  dialog.current();
  ok(!copy.open);
});

test("Reconnecting… shows under an open dialog only, in a line added if the template has none", () => {
  const markup = MARKUP.replace('<p class="sessions-live-status" data-sessions-live-status hidden></p>', "");
  const { link, dialog, find } = setUp({ markup });
  dialog.connection("reconnecting");
  const status = find("[data-sessions-live-status]");
  ok(status, "added");
  equal(status.textContent, STRINGS.reconnecting);
  ok(status.hidden, "no dialog: hidden");
  equal(status.previousElementSibling, find("[data-sessions-live-countdown]"), "after the countdown");
  link.reconnecting = true;
  dialog.show("warning");
  ok(!status.hidden, "shown with the dialog");
  dialog.connection("open");
  ok(status.hidden);
  dialog.connection("reconnecting");
  ok(!status.hidden);
  dialog.hide();
  ok(status.hidden);
});

test("no dialog in the page: showing does nothing", () => {
  for (const old of document.querySelectorAll("dialog")) old.remove();
  const dialog = createDialog({
    doc: document, setTimeout, clearTimeout, strings: {}, content: () => ({}), reconnecting: () => false,
    actions: { answer() {}, logout() {}, dismissed() {} },
  });
  dialog.show("warning");
  equal(dialog.current(), null);
  equal(dialog.open, false);
});

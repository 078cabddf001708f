import { createBanner } from "/static/sessions_live/client/banner.js";
import { start } from "/static/sessions_live/sessions_live.js";
import { fakeTimers, fakeWebSockets } from "./fakes.js";
import { deepEqual, equal, ok, test } from "./runner.js";

const STRINGS = { broadcastTitle: "Message from the site:", dismiss: "Dismiss" };

/** A page with the client's empty live region (sessions_live/script.html), nothing else. */
function page({ region = true } = {}) {
  for (const old of document.querySelectorAll("[data-sessions-live-broadcasts]")) old.remove();
  if (region) {
    const live = Object.assign(document.createElement("div"), { className: "sessions-live-broadcasts" });
    live.setAttribute("aria-live", "polite");
    live.dataset.sessionsLiveBroadcasts = "";
    document.body.append(live);
  }
  return createBanner({ doc: document, strings: STRINGS });
}

const items = () => [...document.querySelectorAll(".sessions-live-broadcast")];

test("a message goes into the page's polite live region, with its title and a dismiss button", () => {
  const banner = page();
  ok(banner.show({ id: "1", text: "Maintenance in 10 minutes: save your work." }));
  const [item] = items();
  equal(item.closest("[aria-live=polite]"), document.querySelector("[data-sessions-live-broadcasts]"));
  equal(item.querySelector(".sessions-live-broadcast-title").textContent, "Message from the site:");
  equal(item.querySelector(".sessions-live-broadcast-text").textContent, "Maintenance in 10 minutes: save your work.");
  equal(item.querySelector("button").textContent, "Dismiss");
  equal(item.querySelector("button").type, "button");
});

test("the text is shown verbatim and inert: markup stays text", () => {
  const banner = page();
  const text = '<img src=x onerror="window.__pwned = 1"> <b>bold</b> & "quotes"\nline two';
  banner.show({ id: "2", text });
  const shown = items()[0].querySelector(".sessions-live-broadcast-text");
  equal(shown.textContent, text);
  equal(shown.children.length, 0, "no element was made from the text");
  equal(window.__pwned, undefined);
});

test("each message once, however often it arrives; none without text", () => {
  const banner = page();
  ok(banner.show({ id: "3", text: "one" }));
  equal(banner.show({ id: "3", text: "one" }), false, "the same id again (a reconnect)");
  equal(banner.show({ id: "4", text: "   " }), false);
  equal(banner.show({ id: "5", text: { not: "text" } }), false);
  ok(banner.show({ id: "6", text: "two" }));
  deepEqual(items().map((item) => item.dataset.id), ["3", "6"]);
});

test("dismissing removes that message and keeps the keyboard on the next one", () => {
  const banner = page();
  banner.show({ id: "7", text: "first" });
  banner.show({ id: "8", text: "second" });
  const [first, second] = items();
  first.querySelector("button").focus();
  first.querySelector("button").click();
  deepEqual(items().map((item) => item.dataset.id), ["8"]);
  equal(document.activeElement, second.querySelector("button"));
  second.querySelector("button").click();
  equal(items().length, 0);
});

test("a page without the client's markup gets a live region at the top of the body", () => {
  const banner = page({ region: false });
  banner.show({ id: "9", text: "hello" });
  const region = document.querySelector("[data-sessions-live-broadcasts]");
  equal(region.getAttribute("aria-live"), "polite");
  equal(document.body.firstElementChild, region);
  region.remove(); // the other files' tests run in this page next
});

/**
 * A client running in a page of its own (an iframe, removed by `done()`, so that nothing of
 * it outlives the test), on a fake socket and fake timers.
 */
function client() {
  const frame = document.body.appendChild(document.createElement("iframe"));
  const doc = frame.contentDocument;
  const timers = fakeTimers(), sockets = fakeWebSockets();
  start({ url: "/ws/sessions-live/", loginUrl: "/login", strings: STRINGS }, doc, {
    WebSocket: sockets.WebSocket, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout,
    setInterval: timers.setInterval, now: timers.now, wallNow: () => 1_800_000_000_000, random: () => 0.5,
  });
  sockets.last.open();
  const shown = () => [...doc.querySelectorAll(".sessions-live-broadcast")].map((item) => item.textContent);
  return { doc, socket: sockets.last, shown, done: () => frame.remove() };
}

test("the client raises sessions-live:broadcast with the frame, then shows the banner", () => {
  const { doc, socket, shown, done } = client();
  const seen = [];
  doc.addEventListener("sessions-live:broadcast", (event) => seen.push(event.detail));
  socket.deliver({ type: "broadcast", id: "10", text: "Back in five minutes." });
  deepEqual(seen, [{ type: "broadcast", id: "10", text: "Back in five minutes." }]);
  deepEqual(shown(), ["Message from the site:Back in five minutes.Dismiss"]);
  done();
});

test("an app that calls preventDefault() shows the message its own way: no banner", () => {
  const { doc, socket, shown, done } = client();
  doc.addEventListener("sessions-live:broadcast", (event) => event.preventDefault());
  socket.deliver({ type: "broadcast", id: "11", text: "Shown by the app." });
  deepEqual(shown(), []);
  done();
});

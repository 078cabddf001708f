import { createActivity, INPUT_EVENTS } from "/static/sessions_live/client/activity.js";
import { fakeTimers } from "./fakes.js";
import { deepEqual, equal, test } from "./runner.js";

/** Activity on a fake clock; `sent` holds each frame, `up` says whether sending works. */
function setUp(options = {}) {
  const timers = fakeTimers(), sent = [];
  const link = { up: true, stopped: false };
  const activity = createActivity({
    now: timers.now,
    setTimeout: timers.setTimeout,
    send: (frame) => link.up && sent.push(frame) > 0,
    stopped: () => link.stopped,
    interval: 10,
    ...options,
  });
  return { timers, sent, link, activity };
}

test("the first input is reported at once, idle 0 (the leading edge)", () => {
  const { sent, activity } = setUp();
  activity.input();
  deepEqual(sent, [{ type: "activity", idle: 0 }]);
});

test("input within the window waits for its end, reported with its idle time", () => {
  const { timers, sent, activity } = setUp();
  activity.input();
  timers.advance(2000);
  activity.input();
  timers.advance(1500);
  activity.input(); // at 3.5 s
  equal(sent.length, 1, "throttled");
  timers.advance(6499);
  equal(sent.length, 1, "not before the window's end");
  timers.advance(1);
  deepEqual(sent[1], { type: "activity", idle: 6.5 }, "the trailing edge, at 10 s");
});

test("at most one report per activity_interval, however much input", () => {
  const { timers, sent, activity } = setUp();
  for (let ms = 0; ms < 60_000; ms += 50) {
    activity.input();
    timers.advance(50);
  }
  equal(sent.length, 7, "0, 10, 20, 30, 40, 50 and 60 s");
  for (const frame of sent.slice(1)) equal(frame.idle, 0.05);
});

test("no input in a window: nothing at its end, and the next input goes at once", () => {
  const { timers, sent, activity } = setUp();
  activity.input();
  timers.advance(30_000);
  equal(sent.length, 1);
  activity.input();
  equal(sent.length, 2);
  deepEqual(sent[1], { type: "activity", idle: 0 });
});

test("the server's activity_interval applies from the next window", () => {
  const { timers, sent, activity } = setUp();
  activity.input();
  activity.setInterval(2);
  equal(activity.interval, 2);
  timers.advance(9000);
  activity.input();
  timers.advance(999);
  equal(sent.length, 1, "the window open keeps its 10 s");
  timers.advance(1);
  equal(sent.length, 2);
  timers.advance(500);
  activity.input();
  timers.advance(1499);
  equal(sent.length, 2);
  timers.advance(1);
  equal(sent.length, 3, "then 2 s windows");
});

test("input sent while the socket is down is reported on connect, with its idle time", () => {
  const { timers, sent, link, activity } = setUp();
  link.up = false;
  activity.input();
  equal(sent.length, 0);
  timers.advance(4000);
  link.up = true;
  activity.connected();
  deepEqual(sent, [{ type: "activity", idle: 4 }]);
  activity.connected();
  equal(sent.length, 1, "reported once");
});

test("input older than the interval is not reported (the server would clamp it)", () => {
  const { timers, sent, link, activity } = setUp();
  link.up = false;
  activity.input();
  timers.advance(10_001);
  link.up = true;
  activity.connected();
  equal(sent.length, 0);
});

test("nothing new once the page is leaving", () => {
  const { sent, link, activity } = setUp();
  link.stopped = true;
  activity.input();
  equal(sent.length, 0);
});

test("listen: each input event counts, unless ignored", () => {
  const { timers, sent, activity } = setUp();
  const target = new EventTarget();
  let ignoring = false;
  activity.listen(target, (event) => ignoring && event.type === "keydown");
  ignoring = true;
  target.dispatchEvent(new Event("keydown"));
  equal(sent.length, 0, "ignored");
  ignoring = false;
  for (const type of INPUT_EVENTS) {
    target.dispatchEvent(new Event(type));
    timers.advance(10_000);
  }
  equal(sent.length, INPUT_EVENTS.length, INPUT_EVENTS.join(", "));
});

import { announcementFor, createCountdown, fillTime, formatCountdown } from "/static/sessions_live/client/countdown.js";
import { fakeTimers } from "./fakes.js";
import { deepEqual, equal, near, test } from "./runner.js";

const ANNOUNCE = { 300: "5 minutes left", 120: "2 minutes left", 60: "1 minute left", 30: "30 seconds left", 10: "10 seconds left" };

function setUp() {
  const timers = fakeTimers();
  const countdown = createCountdown({
    now: timers.now, wallNow: timers.wallNow, setInterval: timers.setInterval,
    template: "Signed out in %(time)s.", thresholds: ANNOUNCE,
  });
  return { timers, countdown };
}

test("formatCountdown: m:ss, rounded up, never negative", () => {
  const cases = [[0, "0:00"], [0.1, "0:01"], [1, "0:01"], [59, "0:59"], [59.5, "1:00"], [60, "1:00"], [61.2, "1:02"], [600, "10:00"], [3599, "59:59"], [3600, "60:00"], [-5, "0:00"], [NaN, "0:00"], [Infinity, "0:00"]];
  deepEqual(cases.map(([seconds]) => formatCountdown(seconds)), cases.map(([, text]) => text));
});

test("fillTime: every %(time)s replaced; no template, no text", () => {
  equal(fillTime("%(time)s left (%(time)s)", "1:00"), "1:00 left (1:00)");
  equal(fillTime(null, "1:00"), "");
  equal(fillTime("no placeholder", "1:00"), "no placeholder");
});

test("announcementFor: the smallest threshold crossed, each once", () => {
  equal(announcementFor(61, 60, ANNOUNCE), "1 minute left", "reached");
  equal(announcementFor(60, 59, ANNOUNCE), null, "already past it");
  equal(announcementFor(125, 29, ANNOUNCE), "30 seconds left", "two crossed at once: the nearer");
  equal(announcementFor(40, 35, ANNOUNCE), null, "none between");
  equal(announcementFor(null, 10, ANNOUNCE), null, "no previous");
  equal(announcementFor(11, 10, null), null, "no thresholds");
  equal(announcementFor(11, 10, { 10: 5 }), null, "texts only");
});

test("remaining: null before any deadline, then counts down on the clock", () => {
  const { timers, countdown } = setUp();
  equal(countdown.remaining(), null);
  equal(countdown.warnIn(), null);
  countdown.set(60, 30);
  timers.advance(1500);
  near(countdown.remaining(), 58.5);
  near(countdown.warnIn(), 28.5);
  timers.advance(40_000);
  equal(countdown.warnIn(), 0, "due, not negative");
  timers.advance(20_000);
  near(countdown.remaining(), -1.5, 1e-9, "negative once passed");
});

test("remaining: the earlier clock wins (the monotonic one stops while the machine sleeps)", () => {
  const { timers, countdown } = setUp();
  countdown.set(60, 0);
  timers.sleep(45_000);
  near(countdown.remaining(), 15);
  countdown.set(60, 0);
  near(countdown.remaining(), 60, 1e-9, "a new deadline from the server starts over");
});

test("show: the countdown text, and the threshold reached as the opening announcement", () => {
  const { countdown } = setUp();
  countdown.set(60, 0);
  deepEqual(countdown.show(), { countdown: "Signed out in 1:00.", announcement: "1 minute left" });
  countdown.set(45, 0);
  deepEqual(countdown.show(), { countdown: "Signed out in 0:45.", announcement: "Signed out in 0:45." });
});

test("ticks every second on fake time, announcing each threshold once", () => {
  const { timers, countdown } = setUp();
  const seen = [];
  countdown.start(() => {
    if (countdown.remaining() > 0) seen.push(countdown.step());
  });
  countdown.set(65, 0);
  countdown.show();
  timers.advance(999);
  equal(seen.length, 0, "no tick before a second");
  timers.advance(1);
  deepEqual(seen[0], { countdown: "Signed out in 1:04.", announcement: null });
  timers.advance(70_000);
  equal(seen.length, 64, "one tick a second until the deadline");
  const said = seen.filter((s) => s.announcement).map((s) => s.announcement);
  deepEqual(said, ["1 minute left", "30 seconds left", "10 seconds left"]);
  equal(seen[4].countdown, "Signed out in 1:00.");
  equal(seen[63].countdown, "Signed out in 0:01.");
});

test("a threshold skipped over (a late tick) is still announced, once", () => {
  const { timers, countdown } = setUp();
  countdown.set(130, 0);
  countdown.show();
  timers.advance(75_000);
  equal(countdown.step().announcement, "1 minute left", "2 min and 1 min crossed: the nearer");
  timers.advance(1000);
  equal(countdown.step().announcement, null);
});

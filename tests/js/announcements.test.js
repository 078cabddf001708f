// The screen-reader announcements the server asks for (tests/browser/test_js_units.py serves
// its strings for a 150 s warning), as the client makes them on fake time: the HMRC timeout
// dialog's cadence, each minute, then every 20 s in the last minute.
import { createCountdown } from "/static/sessions_live/client/countdown.js";
import { fakeTimers } from "./fakes.js";
import { deepEqual, test } from "./runner.js";

test("the server's announcements come each minute, then every 20 s in the last minute", async () => {
  const strings = await (await fetch("/server/strings-150.json")).json();
  const timers = fakeTimers();
  const countdown = createCountdown({
    now: timers.now, wallNow: timers.wallNow, setInterval: timers.setInterval,
    template: strings.countdown, thresholds: strings.announce,
  });
  countdown.set(150, 0);
  const said = [[150, countdown.show().announcement]];
  countdown.start(() => {
    const { announcement } = countdown.step();
    if (announcement) said.push([Math.round(countdown.remaining()), announcement]);
  });
  timers.advance(150_000);
  deepEqual(said, [
    [150, "You will be signed out in 2:30."],
    [120, "You will be signed out in 2 minutes."],
    [60, "You will be signed out in 1 minute."],
    [40, "You will be signed out in 40 seconds."],
    [20, "You will be signed out in 20 seconds."],
  ]);
});

import { backoffDelay, BASE_DELAY, finite, MAX_DELAY, MIN_DELAY, parseFrame, socketUrl } from "/static/sessions_live/utils.js";
import { deepEqual, equal, ok, test } from "./runner.js";

const always = (value) => () => value;

test("backoffDelay: the cap doubles from 500 ms per attempt up to 30 s", () => {
  const delays = [0, 1, 2, 3, 4, 5, 6, 7, 30, 1000].map((attempt) => backoffDelay(attempt, always(1)));
  deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  deepEqual([MIN_DELAY, BASE_DELAY, MAX_DELAY], [250, 500, 30000]);
});

test("backoffDelay: full jitter, the injected random times the cap, never under 250 ms", () => {
  equal(backoffDelay(3, always(0.5)), 2000);
  equal(backoffDelay(3, always(0.25)), 1000);
  equal(backoffDelay(6, always(0.1)), 3000);
  equal(backoffDelay(0, always(0)), 250, "the floor");
  equal(backoffDelay(0, always(0.4)), 250, "0.4 * 500 is under the floor");
  equal(backoffDelay(2, always(0.3333)), 667, "whole milliseconds");
});

test("backoffDelay: stays within [250 ms, cap] over many random draws", () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const cap = Math.min(MAX_DELAY, BASE_DELAY * 2 ** attempt);
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(attempt);
      ok(Number.isInteger(delay) && delay >= MIN_DELAY && delay <= Math.max(MIN_DELAY, cap), `attempt ${attempt}: ${delay}`);
    }
  }
});

test("backoffDelay: a bad attempt counts as 0 and a bad random is clamped, never NaN", () => {
  for (const attempt of [NaN, -1, undefined, null, Infinity, "3"]) {
    equal(backoffDelay(attempt, always(1)), 500, `attempt ${String(attempt)}`);
  }
  equal(backoffDelay(2.9, always(1)), 2000, "fractions round down");
  equal(backoffDelay(3, always(NaN)), 250);
  equal(backoffDelay(3, always(undefined)), 250);
  equal(backoffDelay(3, always(7)), 4000, "above 1: the cap");
  equal(backoffDelay(3, always(-2)), 250, "below 0: the floor");
});

test("both entry modules use the one backoffDelay of utils.js", async () => {
  const tab = await import("/static/sessions_live/sessions_live.js");
  const board = await import("/static/sessions_live/dashboard.js");
  equal(tab.backoffDelay, backoffDelay, "sessions_live.js");
  equal(board.backoffDelay, backoffDelay, "dashboard.js");
});

test("socketUrl: wss: on https: pages, ws: otherwise, on the page's host and port", () => {
  equal(socketUrl({ protocol: "https:", host: "example.com" }, "/ws/sessions-live/"), "wss://example.com/ws/sessions-live/");
  equal(socketUrl({ protocol: "http:", host: "localhost:8000" }, "/ws/x/"), "ws://localhost:8000/ws/x/");
});

test("parseFrame: a JSON object, else null", () => {
  deepEqual(parseFrame('{"type": "hello"}'), { type: "hello" });
  for (const data of ["not json", "null", "3", '"text"', "", undefined]) equal(parseFrame(data), null, String(data));
});

test("finite: finite numbers only", () => {
  deepEqual([1.5, 0, -2].map(finite), [1.5, 0, -2]);
  deepEqual([NaN, Infinity, "3", null, undefined].map(finite), [null, null, null, null, null]);
});

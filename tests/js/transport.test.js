import { createTransport } from "/static/sessions_live/client/transport.js";
import { fakeTimers, fakeWebSockets } from "./fakes.js";
import { deepEqual, equal, ok, test } from "./runner.js";

/** A transport on fakes, with every callback recorded in `calls`. */
function setUp(options = {}) {
  const timers = fakeTimers(), ws = fakeWebSockets(), calls = [];
  const transport = createTransport({
    url: "ws://example.test/ws/sessions-live/",
    WebSocket: ws.WebSocket,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    random: () => 1, // the longest delay of each attempt: the cap
    onOpen: () => calls.push(["open"]),
    onFrame: (frame) => calls.push(["frame", frame]),
    onClose: (code, final) => calls.push(["close", code, final]),
    ...options,
  });
  return { timers, ws, calls, transport };
}

test("connect opens one socket on the URL, and reports its opening", () => {
  const { ws, calls, transport } = setUp({ url: () => "ws://computed.test/path/" });
  transport.connect();
  equal(ws.sockets.length, 1);
  equal(ws.last.url, "ws://computed.test/path/");
  ok(transport.connecting && !transport.open && !transport.detached, "connecting");
  ws.last.open();
  ok(transport.open, "open");
  deepEqual(calls, [["open"]]);
});

test("frames: JSON objects are parsed and handed on, anything else is dropped", () => {
  const { ws, calls, transport } = setUp();
  transport.connect();
  ws.last.open();
  ws.last.deliver({ type: "hello", expires_in: 600 });
  ws.last.deliver("not json");
  ws.last.deliver("42");
  ws.last.deliver({ type: "active" });
  deepEqual(calls.filter((c) => c[0] === "frame"), [["frame", { type: "hello", expires_in: 600 }], ["frame", { type: "active" }]]);
});

test("send: JSON text on an open socket only; false otherwise", () => {
  const { ws, transport } = setUp();
  equal(transport.send({ type: "activity" }), false, "no socket yet");
  transport.connect();
  equal(transport.send({ type: "activity" }), false, "still connecting");
  ws.last.open();
  equal(transport.send({ type: "activity", idle: 1.5 }), true);
  deepEqual(ws.last.sent, ['{"type":"activity","idle":1.5}']);
  ws.last.send = () => { throw new Error("gone"); };
  equal(transport.send({ type: "extend" }), false, "send threw");
});

test("an abnormal close reconnects after the backoff, doubling up to 30 s", () => {
  const { timers, ws, calls, transport } = setUp();
  transport.connect();
  const waits = [];
  for (let i = 0; i < 8; i++) {
    ws.last.closeFromServer(1006);
    deepEqual(calls.at(-1), ["close", 1006, false]);
    const before = ws.sockets.length;
    deepEqual(timers.delays.length, 1, "one reconnect pending");
    waits.push(timers.delays[0]);
    timers.advance(timers.delays[0] - 1);
    equal(ws.sockets.length, before, "not before the delay");
    timers.advance(1);
    equal(ws.sockets.length, before + 1, "at the delay");
  }
  deepEqual(waits, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});

test("the jitter comes from the injected random", () => {
  const { timers, ws, transport } = setUp({ random: () => 0.5 });
  transport.connect();
  ws.last.closeFromServer(1011);
  timers.advance(timers.delays[0]);
  ws.last.closeFromServer(1011);
  deepEqual(timers.delays, [500], "0.5 of the second attempt's 1000 ms cap");
});

test("resetBackoff: the next close waits the shortest delay again", () => {
  const { timers, ws, transport } = setUp();
  transport.connect();
  for (let i = 0; i < 4; i++) {
    ws.last.closeFromServer(1006);
    timers.advance(timers.delays[0]);
  }
  ws.last.open();
  transport.resetBackoff();
  ws.last.closeFromServer(1006);
  deepEqual(timers.delays, [500]);
});

function noReconnectAfter(code) {
  const { timers, ws, calls, transport } = setUp({ finalCodes: [4401, 4403] });
  transport.connect();
  ws.last.open();
  ws.last.closeFromServer(code);
  deepEqual(calls.at(-1), ["close", code, true]);
  equal(timers.count, 0, "nothing scheduled");
  timers.advance(120_000);
  equal(ws.sockets.length, 1, "never reconnected");
  ok(transport.detached, "no socket");
}

test("no reconnect after 4401 (signed out) when it is a final code", () => noReconnectAfter(4401));

test("no reconnect after 4403 (forbidden) when it is a final code", () => noReconnectAfter(4403));

test("a code not listed as final reconnects (the tab client lists 4401 only)", () => {
  const { timers, ws, calls, transport } = setUp({ finalCodes: [4401] });
  transport.connect();
  ws.last.closeFromServer(4403);
  deepEqual(calls.at(-1), ["close", 4403, false]);
  timers.advance(500);
  equal(ws.sockets.length, 2);
});

test("stop: the next close is final and nothing reconnects", () => {
  const { timers, ws, calls, transport } = setUp();
  transport.connect();
  ws.last.open();
  transport.stop();
  ok(transport.open, "the open socket stays open");
  ws.last.closeFromServer(1006);
  deepEqual(calls.at(-1), ["close", 1006, true]);
  transport.reconnect();
  timers.advance(60_000);
  equal(ws.sockets.length, 1);
});

test("reconnect: closes the socket with 1000, opens another at once, ignores the old one", () => {
  const { ws, calls, transport } = setUp();
  transport.connect();
  const old = ws.last;
  old.open();
  transport.reconnect();
  equal(old.closedWith, 1000);
  equal(ws.sockets.length, 2);
  old.deliver({ type: "hello" });
  old.closeFromServer(1000);
  deepEqual(calls, [["open"]], "the replaced socket can no longer act");
});

test("reconnect cancels a pending backoff", () => {
  const { timers, ws, transport } = setUp();
  transport.connect();
  ws.last.closeFromServer(1006);
  equal(timers.count, 1);
  transport.reconnect();
  equal(timers.count, 0);
  equal(ws.sockets.length, 2);
  timers.advance(60_000);
  equal(ws.sockets.length, 2, "no second socket from the cancelled timer");
});

test("suspend closes and stays closed; resume connects at once with the backoff reset", () => {
  const { timers, ws, calls, transport } = setUp();
  transport.connect();
  ws.last.closeFromServer(1006);
  timers.advance(500);
  ws.last.closeFromServer(1006);
  transport.suspend();
  ok(transport.suspended && transport.detached);
  equal(timers.count, 0, "the pending reconnect is cancelled");
  transport.reconnect();
  transport.connect();
  equal(ws.sockets.length, 2, "no socket while suspended");
  transport.resume();
  equal(ws.sockets.length, 3);
  ws.last.closeFromServer(1006);
  deepEqual(timers.delays, [500], "backoff reset");
  equal(calls.filter((c) => c[0] === "close").length, 3);
});

test("a WebSocket constructor that throws is retried with backoff", () => {
  const { timers, ws, transport } = setUp();
  let refuse = true;
  const Flaky = function (url) {
    if (refuse) throw new Error("SecurityError");
    return new ws.WebSocket(url);
  };
  const flaky = createTransport({ url: "ws://x.test/", WebSocket: Flaky, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout, random: () => 1 });
  flaky.connect();
  ok(flaky.detached);
  deepEqual(timers.delays, [500]);
  refuse = false;
  timers.advance(500);
  equal(ws.sockets.length, 1);
  ok(transport.detached, "the other transport never connected");
});

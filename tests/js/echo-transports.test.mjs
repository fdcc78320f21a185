// The real socket.io-client against `echo` on each transport setup.
// Proves: websocket-only and polling-only (no upgrade) sessions work end to
// end; the default polling -> websocket upgrade happens (engine transport
// becomes "websocket") and a burst of numbered events emitted before, during
// and after the upgrade all come back, in order, none lost or duplicated;
// many clients on mixed transports at once get only their own replies.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  connected,
  ack,
  nextEvent,
  recorder,
  sleep,
  waitEvent,
} from "./harness.mjs";

describe("socket.io-client transports (echo)", () => {
  let srv;
  before(async () => {
    srv = await startServer("echo");
  });
  after(async () => {
    await srv?.stop();
  });

  it("websocket only: connects directly over websocket and round-trips", async () => {
    const s = srv.socket("/", { transports: ["websocket"] });
    const auth = nextEvent(s, "auth", 3000);
    await connected(s);
    assert.equal(s.io.engine.transport.name, "websocket");
    assert.deepEqual(await auth, [{}]);
    s.emit("message", "hi", 1);
    assert.deepEqual(await nextEvent(s, "message-back"), ["hi", 1]);
    assert.deepEqual(await ack(s, "message-with-ack", { a: 1 }), { a: 1 });
    s.disconnect();
  });

  it("polling only (upgrade:false): stays on polling and round-trips, across ping cycles", async () => {
    const s = srv.socket("/", { transports: ["polling"], upgrade: false });
    await connected(s);
    assert.equal(s.io.engine.transport.name, "polling");
    s.emit("message", "over", "polling");
    assert.deepEqual(await nextEvent(s, "message-back"), ["over", "polling"]);
    // several ping intervals (300 ms) pass while polling: still connected, still polling
    await sleep(800);
    assert.ok(s.connected, "still connected after several ping cycles");
    assert.equal(s.io.engine.transport.name, "polling");
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ack(s, "message-with-ack", i)),
    );
    assert.deepEqual(replies, Array.from({ length: 20 }, (_, i) => i));
    s.disconnect();
  });

  it("polling only: a burst of 200 events comes back complete and in order", async () => {
    const s = srv.socket("/", { transports: ["polling"], upgrade: false });
    await connected(s);
    const rec = recorder(s);
    for (let i = 0; i < 200; i++) s.emit("message", i);
    const got = await rec.waitFor("message-back", 200, 5000);
    assert.deepEqual(
      got.map((a) => a[0]),
      Array.from({ length: 200 }, (_, i) => i),
    );
    s.disconnect();
  });

  it("polling -> websocket upgrade: transport becomes websocket, nothing lost or reordered around it", async () => {
    const TOTAL = 200;
    const s = srv.socket("/");
    const rec = recorder(s);
    const engine = s.io.engine;
    assert.equal(engine.transport.name, "polling", "starts on polling");
    let sent = 0;
    let upgradedAt = -1;
    const upgraded = waitEvent(engine, "upgrade", 5000, "engine upgrade to websocket");
    engine.once("upgrade", () => {
      upgradedAt = sent;
    });
    // emit from the very start (buffered until the namespace is connected over
    // polling), keep emitting in small chunks while the upgrade runs, and make
    // sure some events are emitted only after it completed
    while (sent < TOTAL) {
      if (upgradedAt === -1 && sent >= TOTAL - 50) await upgraded;
      for (let k = 0; k < 4 && sent < TOTAL; k++) {
        s.emit("message", sent, `n${sent}`);
        sent++;
      }
      await sleep(upgradedAt === -1 ? 3 : 0);
    }
    const [transport] = await upgraded;
    assert.equal(transport.name, "websocket");
    assert.equal(engine.transport.name, "websocket");
    assert.ok(s.connected);
    await rec.waitFor("message-back", TOTAL, 5000);
    await sleep(100); // any duplicate would show up here
    const got = rec.of("message-back");
    assert.deepEqual(
      got.map((a) => a[0]),
      Array.from({ length: TOTAL }, (_, i) => i),
      "all events back, in order, exactly once",
    );
    assert.ok(got.every(([n, tag]) => tag === `n${n}`), "second argument kept");
    assert.ok(
      upgradedAt > 0 && upgradedAt < TOTAL,
      `events must be emitted both before and after the upgrade (upgrade seen after ${upgradedAt})`,
    );
    // and the upgraded connection keeps working
    assert.equal(await ack(s, "message-with-ack", "post-upgrade"), "post-upgrade");
    s.disconnect();
  });

  it("several clients on mixed transports get only their own replies", async () => {
    const configs = [
      { transports: ["websocket"] },
      { transports: ["polling"], upgrade: false },
      {},
      { transports: ["websocket"] },
      { transports: ["polling"], upgrade: false },
    ];
    const sockets = await Promise.all(configs.map((c) => srv.connect("/", c)));
    const recs = sockets.map((s) => recorder(s));
    sockets.forEach((s, i) => {
      for (let k = 0; k < 10; k++) s.emit("message", `c${i}`, k);
    });
    for (let i = 0; i < sockets.length; i++) {
      const got = await recs[i].waitFor("message-back", 10, 5000);
      assert.deepEqual(
        got,
        Array.from({ length: 10 }, (_, k) => [`c${i}`, k]),
        `client ${i} replies`,
      );
    }
    await sleep(100);
    recs.forEach((r, i) =>
      assert.equal(r.of("message-back").length, 10, `client ${i} got exactly its 10 replies`),
    );
    sockets.forEach((s) => s.disconnect());
  });
});

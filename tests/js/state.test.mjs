// Per-socket and app-wide state (testapp).
// Proves: `session-count` is a counter private to each socket (interleaved
// sockets count independently, a new connection starts again at 1, the
// counter survives a polling -> websocket upgrade); `shared-count` is one
// counter for the whole app, consistent under concurrent increments from
// many sockets on both transports.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, connected, ack, waitEvent } from "./harness.mjs";

describe("state (testapp)", () => {
  let srv;
  before(async () => {
    srv = await startServer("testapp");
  });
  after(async () => {
    await srv?.stop();
  });

  it("session-count is per socket", async () => {
    const a = await srv.connect("/", { transports: ["websocket"] });
    const b = await srv.connect("/", { transports: ["polling"], upgrade: false });
    assert.equal(await ack(a, "session-count"), 1);
    assert.equal(await ack(a, "session-count"), 2);
    assert.equal(await ack(b, "session-count"), 1);
    assert.equal(await ack(a, "session-count"), 3);
    assert.equal(await ack(b, "session-count"), 2);
    const c = await srv.connect("/", { transports: ["websocket"] });
    assert.equal(await ack(c, "session-count"), 1, "a new socket starts from scratch");
    a.disconnect();
    const a2 = await srv.connect("/", { transports: ["websocket"] });
    assert.equal(await ack(a2, "session-count"), 1, "a reconnection is a new session");
    for (const s of [b, c, a2]) s.disconnect();
  });

  it("session-count counts concurrent requests of one socket exactly", async () => {
    const s = await srv.connect("/", { transports: ["websocket"] });
    const got = await Promise.all(Array.from({ length: 25 }, () => ack(s, "session-count")));
    assert.deepEqual([...got].sort((x, y) => x - y), Array.from({ length: 25 }, (_, i) => i + 1));
    s.disconnect();
  });

  it("session state survives the polling -> websocket upgrade", async () => {
    const s = srv.socket("/");
    const upgraded = waitEvent(s.io.engine, "upgrade", 5000, "upgrade to websocket");
    await connected(s);
    assert.equal(await ack(s, "session-count"), 1);
    await upgraded;
    assert.equal(s.io.engine.transport.name, "websocket");
    assert.equal(await ack(s, "session-count"), 2);
    s.disconnect();
  });

  it("shared-count is one counter for all sockets", async () => {
    const a = await srv.connect("/", { transports: ["websocket"] });
    const b = await srv.connect("/", { transports: ["polling"], upgrade: false });
    const first = await ack(a, "shared-count");
    assert.equal(typeof first, "number");
    assert.equal(first, 1, "no other test of this server touched shared-count before");
    assert.equal(await ack(b, "shared-count"), 2);
    assert.equal(await ack(a, "shared-count"), 3);
    assert.equal(await ack(b, "shared-count"), 4);
    a.disconnect();
    const c = await srv.connect("/", { transports: ["websocket"] });
    assert.equal(await ack(c, "shared-count"), 5, "survives sockets leaving and joining");
    b.disconnect();
    c.disconnect();
  });

  it("shared-count under concurrent increments from many sockets: no lost update", async () => {
    const sockets = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        srv.connect("/", i % 2 ? { transports: ["websocket"] } : { transports: ["polling"], upgrade: false }),
      ),
    );
    const base = await ack(sockets[0], "shared-count");
    const results = await Promise.all(
      sockets.flatMap((s) => Array.from({ length: 10 }, () => ack(s, "shared-count"))),
    );
    const sorted = [...results].sort((x, y) => x - y);
    assert.deepEqual(
      sorted,
      Array.from({ length: 60 }, (_, i) => base + 1 + i),
      "every increment is seen exactly once",
    );
    // session-count was not touched by shared-count
    assert.equal(await ack(sockets[1], "session-count"), 1);
    for (const s of sockets) s.disconnect();
  });
});

// Disconnect reasons, seen from both sides (testapp; the server side is read
// back through `last-disconnect` from another client).
// Proves: nothing is recorded for a live socket; client `disconnect()` ->
// server "client namespace disconnect" (websocket and polling);
// `disconnect-me` -> client "io server disconnect" + server "server namespace
// disconnect", and the client does not come back by itself; `close-me` /
// `close-connections` end every namespace of the connection; closing the
// engine / the raw websocket -> server "transport close"; garbage from a raw
// client -> server "parse error"; the server process dying -> client
// "transport close". Every disconnected socket leaves its rooms.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  ack,
  nextEvent,
  waitUntil,
  sleep,
  sio,
} from "./harness.mjs";

const WS = { transports: ["websocket"] };
const POLL = { transports: ["polling"], upgrade: false };

describe("disconnect reasons (testapp)", () => {
  let srv;
  let observer;
  before(async () => {
    // long heartbeat: no ping timeout can interfere with the reasons under test
    srv = await startServer("testapp", { env: { PING_INTERVAL_MS: 5000, PING_TIMEOUT_MS: 5000 } });
    observer = await srv.connect("/", WS);
  });
  after(async () => {
    await srv?.stop();
  });

  /** Wait until the server recorded a reason for `sid`, return it. */
  const serverReason = (sid) =>
    waitUntil(
      () => ack(observer, "last-disconnect", sid),
      2000,
      `server to record a disconnect reason for ${sid}`,
    );

  it("a connected socket has no recorded reason; unknown sids give null", async () => {
    const s = await srv.connect("/", WS);
    assert.equal(await ack(observer, "last-disconnect", s.id), null);
    assert.equal(await ack(observer, "last-disconnect", "never-existed"), null);
    s.disconnect();
  });

  for (const [label, opts] of [["websocket", WS], ["polling", POLL]]) {
    it(`client disconnect() -> server "client namespace disconnect" (${label})`, async () => {
      const s = await srv.connect("/", opts);
      const sid = s.id;
      await ack(s, "join", `cd-${label}`);
      const reasons = [];
      s.on("disconnect", (r) => reasons.push(r));
      s.disconnect();
      assert.deepEqual(reasons, ["io client disconnect"]);
      assert.equal(await serverReason(sid), "client namespace disconnect");
      assert.deepEqual(await ack(observer, "room-sockets", `cd-${label}`), []);
    });

    it(`disconnect-me -> client "io server disconnect", server "server namespace disconnect" (${label})`, async () => {
      const s = await srv.connect("/", opts);
      const sid = s.id;
      await ack(s, "join", `dm-${label}`);
      const gone = nextEvent(s, "disconnect", 2000);
      s.emit("disconnect-me");
      const [reason] = await gone;
      assert.equal(reason, "io server disconnect");
      assert.equal(s.active, false, "a server-side disconnect must not trigger a reconnection");
      assert.equal(await serverReason(sid), "server namespace disconnect");
      assert.deepEqual(await ack(observer, "room-sockets", `dm-${label}`), []);
    });

    it(`engine closed by the client -> server "transport close" (${label})`, async () => {
      const s = await srv.connect("/", opts);
      const sid = s.id;
      await ack(s, "join", `tc-${label}`);
      s.io.engine.close();
      assert.equal(await serverReason(sid), "transport close");
      assert.deepEqual(await ack(observer, "room-sockets", `tc-${label}`), []);
    });
  }

  it("disconnect-me on a multiplexed connection only ends that namespace", async () => {
    const m = srv.manager(WS);
    const root = m.socket("/");
    const admin = m.socket("/admin", { auth: { role: "admin" } });
    await Promise.all([
      nextEvent(root, "connect", 3000),
      nextEvent(admin, "connect", 3000),
    ]);
    const gone = nextEvent(root, "disconnect", 2000);
    root.emit("disconnect-me");
    const [reason] = await gone;
    assert.equal(reason, "io server disconnect");
    await sleep(100);
    assert.ok(admin.connected, "/admin on the same connection stays connected");
    assert.equal(await ack(admin, "whoami"), "admin");
    admin.disconnect();
  });

  for (const [label, how] of [
    ["close-me (socket.close_connection)", (root) => root.emit("close-me")],
    ["close-connections of its room, from another client", (root) => ack(observer, "close-connections", root.id)],
  ]) {
    it(`${label} closes the whole multiplexed connection: "io server disconnect" in every namespace`, async () => {
      const m = srv.manager(WS);
      const root = m.socket("/");
      const admin = m.socket("/admin", { auth: { role: "admin" } });
      await Promise.all([nextEvent(root, "connect", 3000), nextEvent(admin, "connect", 3000)]);
      const sid = root.id;
      const rootGone = nextEvent(root, "disconnect", 2000);
      const adminGone = nextEvent(admin, "disconnect", 2000);
      await how(root);
      assert.deepEqual(await rootGone, ["io server disconnect", undefined]);
      assert.equal((await adminGone)[0], "io server disconnect");
      assert.equal(await serverReason(sid), "server namespace disconnect");
      assert.equal(m.engine.readyState, "closed", "the connection itself is closed");
    });
  }

  it('raw websocket closed -> server "transport close"', async () => {
    const ws = srv.rawWs("/socket.io/?EIO=4&transport=websocket");
    const sid = await ws.connectSocketIO();
    ws.send(sio.eventWithAck(1, "join", "raw-room"));
    await ws.nextMatching((m) => typeof m === "string" && m.startsWith("431"), 2000, "join ack");
    assert.deepEqual(await ack(observer, "room-sockets", "raw-room"), [sid]);
    ws.close();
    assert.equal(await serverReason(sid), "transport close");
    assert.deepEqual(await ack(observer, "room-sockets", "raw-room"), []);
  });

  it('raw client sending an invalid Engine.IO packet -> server "parse error"', async () => {
    const ws = srv.rawWs("/socket.io/?EIO=4&transport=websocket");
    const sid = await ws.connectSocketIO();
    ws.send("xyz");
    await ws.waitClose(2000, "server to close after an invalid packet");
    assert.equal(await serverReason(sid), "parse error");
  });

  it('raw client sending an invalid Socket.IO packet -> server "parse error"', async () => {
    const ws = srv.rawWs("/socket.io/?EIO=4&transport=websocket");
    const sid = await ws.connectSocketIO();
    ws.send("42[");
    await ws.waitClose(2000, "server to close after an invalid packet");
    assert.equal(await serverReason(sid), "parse error");
  });

  it("the observer survived all of the above", async () => {
    assert.ok(observer.connected);
    assert.equal(await ack(observer, "echo", 1), 1);
    srv.assertAlive();
  });
});

describe("server process killed (testapp)", () => {
  for (const [label, opts] of [["websocket", WS], ["polling", POLL]]) {
    it(`client sees "transport close" or "transport error" (${label})`, async (t) => {
      const srv = await startServer("testapp", { t, env: { PING_INTERVAL_MS: 5000, PING_TIMEOUT_MS: 5000 } });
      const s = await srv.connect("/", opts);
      assert.equal(await ack(s, "echo", "up"), "up");
      const gone = nextEvent(s, "disconnect", 3000);
      await srv.kill();
      const [reason] = await gone;
      if (label === "websocket") {
        assert.equal(reason, "transport close");
      } else {
        // a long-poll cut by a dead server surfaces as an HTTP/transport failure
        assert.ok(
          reason === "transport close" || reason === "transport error",
          `unexpected reason ${reason}`,
        );
      }
    });
  }
});

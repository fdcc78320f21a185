// Heartbeat (Engine.IO v4: the server pings, the client pongs).
// Proves: the first ping comes one pingInterval after the handshake (not at
// once) over websocket and polling; a client that answers pings stays
// connected across many intervals; a raw client (websocket or polling) that
// joined `/` but never pongs is dropped within pingInterval + pingTimeout
// (+ slack) and not before; a socket.io-client whose pongs are swallowed is
// dropped by the server with reason "ping timeout" and leaves its rooms.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  sleep,
  ack,
  connected,
  nextEvent,
  waitUntil,
  sio,
} from "./harness.mjs";

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
// timers on a loaded CI box: accept a little early (clock granularity) and
// a fair amount late, but never "immediately" nor "never"
const EARLY_SLACK = 60;
const LATE_SLACK = 700;

describe("heartbeat", () => {
  let echo;
  let app;
  before(async () => {
    [echo, app] = await Promise.all([
      startServer("echo", {
        env: { PING_INTERVAL_MS: PING_INTERVAL, PING_TIMEOUT_MS: PING_TIMEOUT },
      }),
      startServer("testapp", {
        env: { PING_INTERVAL_MS: PING_INTERVAL, PING_TIMEOUT_MS: PING_TIMEOUT },
      }),
    ]);
  });
  after(async () => {
    await Promise.all([echo?.stop(), app?.stop()]);
  });

  it("websocket: first ping arrives one pingInterval after the handshake, then every interval", async () => {
    const ws = echo.rawWs("/engine.io/?EIO=4&transport=websocket");
    await ws.handshake();
    const t0 = ws.handshakeAt;
    let prev = t0;
    for (let i = 0; i < 3; i++) {
      const { msg, at } = await ws.nextWithTime(PING_INTERVAL + LATE_SLACK, `ping #${i + 1}`);
      assert.equal(msg, "2", `ping #${i + 1} expected, got ${JSON.stringify(msg)}`);
      const gap = at - prev;
      assert.ok(
        gap >= PING_INTERVAL - EARLY_SLACK,
        `ping #${i + 1} came ${gap} ms after the previous event; expected ~${PING_INTERVAL} ms`,
      );
      assert.ok(gap <= PING_INTERVAL + LATE_SLACK, `ping #${i + 1} late: ${gap} ms`);
      prev = at;
      ws.send("3");
    }
    // still open and functional after three ping cycles
    ws.send("4still here");
    assert.equal(await ws.next(1000, "echo after pings"), "4still here");
    assert.equal(ws.closeInfo, null);
    ws.close();
  });

  it("polling: the first GET is held until the ping, one pingInterval after the handshake", async () => {
    const p = echo.rawPolling("/engine.io/");
    await p.handshake();
    const t0 = p.handshakeAt;
    const g = await p.get(PING_INTERVAL + LATE_SLACK + 500);
    assert.equal(g.status, 200);
    assert.deepEqual(g.packets, ["2"]);
    const gap = g.at - t0;
    assert.ok(gap >= PING_INTERVAL - EARLY_SLACK, `ping came after ${gap} ms, expected ~${PING_INTERVAL}`);
    assert.ok(gap <= PING_INTERVAL + LATE_SLACK, `ping late: ${gap} ms`);
    // answer, and the session lives on into the next cycle
    assert.equal((await p.post("3")).text, "ok");
    const g2 = await p.get(PING_INTERVAL + LATE_SLACK + 500);
    assert.deepEqual(g2.packets, ["2"]);
    assert.equal((await p.post("3")).text, "ok");
    assert.equal((await p.post("4alive")).text, "ok");
    const g3 = await p.get(1000);
    assert.deepEqual(g3.packets, ["4alive"]);
    await p.post("1");
  });

  it("a raw websocket client that pongs stays connected for many intervals", async () => {
    const ws = echo.rawWs("/socket.io/?EIO=4&transport=websocket", { autoPong: true });
    await ws.connectSocketIO();
    await sleep(4 * PING_INTERVAL + PING_TIMEOUT);
    assert.ok(ws.pings >= 3, `expected >= 3 pings in ${4 * PING_INTERVAL + PING_TIMEOUT} ms, got ${ws.pings}`);
    assert.equal(ws.closeInfo, null, "connection must still be open");
    ws.send(sio.event("message", "ping-pong ok"));
    const back = await ws.nextMatching(
      (m) => typeof m === "string" && m.startsWith('42["message-back"'),
      1000,
      "message-back",
    );
    assert.deepEqual(sio.parseEvent(back).data, ["message-back", "ping-pong ok"]);
    ws.close();
  });

  it("a raw websocket client on / that never pongs is closed within pingInterval + pingTimeout", async () => {
    const ws = echo.rawWs("/socket.io/?EIO=4&transport=websocket");
    await ws.connectSocketIO();
    const t0 = ws.handshakeAt;
    // skip the `auth` event the echo server sends on connect, wait for the ping
    await ws.nextMatching((m) => m === "2", PING_INTERVAL + LATE_SLACK, "the first ping");
    // do not answer
    const info = await ws.waitClose(
      PING_INTERVAL + PING_TIMEOUT + LATE_SLACK + 300,
      "the server to drop a client that never pongs",
    );
    const elapsed = info.at - t0;
    assert.ok(
      elapsed >= PING_INTERVAL + PING_TIMEOUT - EARLY_SLACK,
      `closed after ${elapsed} ms: too early, the client had pingTimeout to answer`,
    );
    assert.ok(elapsed <= PING_INTERVAL + PING_TIMEOUT + LATE_SLACK, `closed late: ${elapsed} ms`);
  });

  it("a raw polling client on / that never pongs loses its session", async () => {
    const p = echo.rawPolling("/socket.io/");
    await p.handshake();
    const t0 = p.handshakeAt;
    assert.equal((await p.post("40")).status, 200);
    // read until the first ping (CONNECT reply and `auth` event come first)
    const seen = [];
    while (!seen.includes("2")) {
      const g = await p.get(PING_INTERVAL + LATE_SLACK);
      assert.equal(g.status, 200, `GET before the first ping: ${g.status} ${g.text}`);
      seen.push(...g.packets);
    }
    assert.ok(seen[0].startsWith("40{"), `CONNECT reply expected first, got ${JSON.stringify(seen)}`);
    // do not answer; the next poll is released (close packet) or refused once the session is gone
    const gone = await p.waitGone(PING_INTERVAL + PING_TIMEOUT + LATE_SLACK + 500, "session dropped for lack of pong");
    const elapsed = gone.at - t0;
    assert.ok(
      elapsed >= PING_INTERVAL + PING_TIMEOUT - EARLY_SLACK,
      `session gone after ${elapsed} ms: too early`,
    );
    const body = JSON.parse(gone.text);
    assert.equal(body.code, 1);
  });

  it("socket.io-client: engine pings are observed and the connection survives them", async () => {
    const s = echo.socket("/", { transports: ["websocket"] });
    let pings = 0;
    s.io.on("ping", () => pings++);
    await connected(s);
    const disconnects = [];
    s.on("disconnect", (r) => disconnects.push(r));
    await sleep(4 * PING_INTERVAL);
    assert.ok(pings >= 3, `expected >= 3 pings, got ${pings}`);
    assert.deepEqual(disconnects, []);
    assert.deepEqual(await ack(s, "message-with-ack", "still"), "still");
    s.disconnect();
  });

  it("testapp: a client whose pongs are swallowed is dropped with 'ping timeout' and leaves its rooms", async () => {
    const observer = await app.connect("/", { transports: ["websocket"] });
    const victim = await app.connect("/", { transports: ["websocket"] });
    const sid = victim.id;
    await ack(victim, "join", "hb-room");
    assert.deepEqual(await ack(observer, "room-sockets", "hb-room"), [sid]);
    assert.equal(await ack(observer, "last-disconnect", sid), null);

    // swallow outgoing pongs; incoming pings still reset the client's own
    // timer, so the server (not the client) is the one giving up
    const engine = victim.io.engine;
    assert.equal(typeof engine._sendPacket, "function", "engine.io-client internals changed");
    const orig = engine._sendPacket.bind(engine);
    let swallowed = 0;
    engine._sendPacket = (type, ...rest) => {
      if (type === "pong") {
        swallowed++;
        return;
      }
      return orig(type, ...rest);
    };

    const [reason] = await nextEvent(
      victim,
      "disconnect",
      PING_INTERVAL * 2 + PING_TIMEOUT + LATE_SLACK,
    );
    assert.ok(swallowed >= 1, "at least one pong must have been swallowed");
    assert.equal(reason, "transport close", "the client sees the server closing the transport");

    const serverReason = await waitUntil(
      () => ack(observer, "last-disconnect", sid),
      2000,
      "server to record a disconnect reason",
    );
    assert.equal(serverReason, "ping timeout");
    assert.deepEqual(await ack(observer, "room-sockets", "hb-room"), []);
    observer.disconnect();
  });
});

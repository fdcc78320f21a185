// Size limits and malformed input (echo with MAX_PAYLOAD=1000 and a long
// heartbeat, so that only the behaviour under test can close a session).
// Proves: a polling POST over maxPayload gets HTTP 413 and ends the session
// (next GET -> 400 code 1) while one under the limit is fine; a websocket
// message over maxPayload closes that connection (raw client and real
// socket.io-client); every malformed packet (Engine.IO or Socket.IO level,
// over websocket or HTTP POST) closes only the offending client: a healthy
// socket.io-client on the same server keeps round-tripping and the server
// process stays up.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  connected,
  ack,
  nextEvent,
  expectEngineError,
  fetchT,
  sio,
} from "./harness.mjs";

const MAX = 1000;
const CLOSE_WITHIN_MS = 1500;

describe("limits and malformed packets (echo)", () => {
  let srv;
  let healthy;
  let n = 0;
  before(async () => {
    srv = await startServer("echo", {
      env: { MAX_PAYLOAD: MAX, PING_INTERVAL_MS: 10000, PING_TIMEOUT_MS: 10000 },
    });
    healthy = srv.socket("/", { transports: ["websocket"] });
    await connected(healthy);
  });
  after(async () => {
    await srv?.stop();
  });

  /** The healthy client still round-trips and the server process is alive. */
  async function assertHealthyUnaffected(after) {
    const token = `ok-${++n}`;
    assert.equal(
      await ack(healthy, "message-with-ack", token),
      token,
      `healthy client must keep working after ${after}`,
    );
    assert.ok(healthy.connected, `healthy client still connected after ${after}`);
    srv.assertAlive();
  }

  /** Raw websocket socket.io session on `/`, verified live with a round trip. */
  async function liveRawWs() {
    const ws = srv.rawWs("/socket.io/?EIO=4&transport=websocket");
    await ws.connectSocketIO();
    ws.send(sio.event("message", "probe"));
    const back = await ws.nextMatching(
      (m) => typeof m === "string" && m.startsWith('42["message-back"'),
      2000,
      "message-back for the probe",
    );
    assert.deepEqual(sio.parseEvent(back).data, ["message-back", "probe"]);
    return ws;
  }

  /** Raw polling socket.io session on `/`, verified live with a round trip. */
  async function liveRawPolling() {
    const p = srv.rawPolling("/socket.io/");
    await p.connectSocketIO();
    assert.equal((await p.post(sio.event("message", "probe"))).text, "ok");
    const seen = [];
    while (!seen.some((x) => x.startsWith('42["message-back"'))) {
      const g = await p.get(2000);
      assert.equal(g.status, 200, `GET on a live session: ${g.status} ${g.text}`);
      seen.push(...g.packets);
    }
    return p;
  }

  describe("maxPayload", () => {
    it("the handshake announces MAX_PAYLOAD", async () => {
      const hs = await srv.rawPolling("/engine.io/").handshake();
      assert.equal(hs.maxPayload, MAX);
    });

    it("polling POST under the limit is accepted", async () => {
      const p = srv.rawPolling("/engine.io/");
      await p.handshake();
      const body = "4" + "a".repeat(MAX - 100);
      const r = await p.post(body);
      assert.equal(r.status, 200);
      assert.equal(r.text, "ok");
      assert.equal((await p.get()).text, body);
    });

    it("polling POST over the limit -> 413 and the session is gone (/engine.io/)", async () => {
      const p = srv.rawPolling("/engine.io/");
      await p.handshake();
      const r = await p.post("4" + "a".repeat(2 * MAX));
      assert.equal(r.status, 413);
      await expectEngineError(await fetchT(p.url()), 1, "Session ID unknown", "GET after a 413");
      await assertHealthyUnaffected("an oversized POST");
    });

    it("polling POST over the limit -> 413 and the session is gone (/socket.io/, connected)", async () => {
      const p = await liveRawPolling();
      const r = await p.post(sio.event("message", "x".repeat(2 * MAX)));
      assert.equal(r.status, 413);
      await p.waitGone(CLOSE_WITHIN_MS, "session to end after a 413");
      await assertHealthyUnaffected("an oversized socket.io POST");
    });

    it("a payload of several small packets over the limit in total is refused too", async () => {
      const p = srv.rawPolling("/engine.io/");
      await p.handshake();
      const packets = Array.from({ length: 20 }, (_, i) => `4${String(i).padStart(2, "0")}${"b".repeat(97)}`);
      const r = await p.post(packets.join("\x1e"));
      assert.equal(r.status, 413);
      await expectEngineError(await fetchT(p.url()), 1, "Session ID unknown", "GET after a 413");
    });

    it("websocket message under the limit is echoed", async () => {
      const ws = srv.rawWs("/engine.io/?EIO=4&transport=websocket");
      await ws.handshake();
      const msg = "4" + "c".repeat(MAX - 100);
      ws.send(msg);
      assert.equal(await ws.next(), msg);
      ws.close();
    });

    it("websocket message over the limit closes that connection (/engine.io/)", async () => {
      const ws = srv.rawWs("/engine.io/?EIO=4&transport=websocket");
      await ws.handshake();
      ws.send("4" + "d".repeat(2 * MAX));
      await ws.waitClose(CLOSE_WITHIN_MS, "server to close after an oversized frame");
      await assertHealthyUnaffected("an oversized websocket frame");
    });

    it("websocket binary message over the limit closes that connection (/socket.io/)", async () => {
      const ws = await liveRawWs();
      ws.send('451-["message",{"_placeholder":true,"num":0}]');
      ws.send(Buffer.alloc(2 * MAX, 7));
      await ws.waitClose(CLOSE_WITHIN_MS, "server to close after an oversized binary frame");
      await assertHealthyUnaffected("an oversized binary attachment");
    });

    it("socket.io-client emitting too much over websocket is disconnected, others are not", async () => {
      const big = await srv.connect("/", { transports: ["websocket"] });
      assert.equal(await ack(big, "message-with-ack", "small first"), "small first");
      const gone = nextEvent(big, "disconnect", CLOSE_WITHIN_MS);
      big.emit("message", "e".repeat(2 * MAX));
      const [reason] = await gone;
      assert.equal(reason, "transport close");
      await assertHealthyUnaffected("a socket.io-client exceeding maxPayload");
    });
  });

  describe("malformed packets over websocket close only that client", () => {
    const CASES = [
      ["unknown Socket.IO packet type", "4garbage"],
      ["truncated JSON", "42["],
      ["event payload not an array", '42"str"'],
      ["event payload an empty array", "42[]"],
      ["binary event without attachment count", '45-["message"]'],
      ["invalid Engine.IO packet type (letter)", "xyz"],
      ["unknown Engine.IO packet type (digit)", "9hello"],
    ];
    for (const [name, bad] of CASES) {
      it(`${name}: ${JSON.stringify(bad)}`, async () => {
        const ws = await liveRawWs();
        ws.send(bad);
        await ws.waitClose(CLOSE_WITHIN_MS, `server to close the client after ${JSON.stringify(bad)}`);
        await assertHealthyUnaffected(JSON.stringify(bad));
      });
    }

    it("an unexpected binary frame (no pending binary event)", async () => {
      const ws = await liveRawWs();
      ws.send(Buffer.from([1, 2, 3]));
      await ws.waitClose(CLOSE_WITHIN_MS, "server to close the client after a stray binary frame");
      await assertHealthyUnaffected("a stray binary frame");
    });
  });

  describe("malformed packets over HTTP POST close only that session", () => {
    const CASES = [
      ["unknown Socket.IO packet type", "4garbage"],
      ["truncated JSON", "42["],
      ["event payload not an array", '42"str"'],
      ["event payload an empty array", "42[]"],
      ["binary event without attachment count", '45-["message"]'],
      ["invalid Engine.IO packet type (letter)", "xyz"],
      ["unknown Engine.IO packet type (digit)", "9hello"],
      ["bad packet after a good one in one payload", '42["message","fine"]\x1e42['],
    ];
    for (const [name, bad] of CASES) {
      it(`${name}: ${JSON.stringify(bad)}`, async () => {
        const p = await liveRawPolling();
        const r = await p.post(bad);
        assert.ok(
          r.status === 200 || r.status === 400,
          `POST of a malformed payload answered ${r.status} ${r.text}`,
        );
        await p.waitGone(CLOSE_WITHIN_MS, `session to end after POSTing ${JSON.stringify(bad)}`);
        await assertHealthyUnaffected(`POST ${JSON.stringify(bad)}`);
      });
    }
  });

  it("after all of this the healthy client and the server are fine", async () => {
    await assertHealthyUnaffected("the whole file");
  });
});

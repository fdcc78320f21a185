// Engine.IO v3 at the packet level (raw HTTP long-polling with the v3
// length-prefixed payloads `<len>:<packet>...`) against `echo`, with a long
// heartbeat so that only the behaviour under test can end a session.
// Proves: `GET /socket.io/?EIO=3&transport=polling` opens a session with a
// well-framed `<len>:0{...}` payload whose JSON has sid, upgrades
// (["websocket"]), pingInterval and pingTimeout, and `/` is connected
// implicitly (`40`); the v3 heartbeat is client-driven (a POSTed ping `2` is
// answered with a pong `3`); events and acks round-trip as text; binary goes
// out as base64 `b4` packets in a text payload when the session asked for
// b64=1 and as an XHR2 binary payload (application/octet-stream) otherwise;
// a wrong length prefix, a truncated payload, a non-numeric prefix or a
// missing prefix each close that session alone (its next GET is HTTP 400,
// JSON code 1) while a healthy raw v3 session and healthy 2.x clients
// (websocket and polling) keep working and the server stays up.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, fetchT } from "./harness.mjs";
import { v2Connect, v2AckAll, RawPollingV3, encodePayloadV3, decodePayloadV3, normalizeBin } from "./harness-v2.mjs";

const PING_INTERVAL = 10_000;
const PING_TIMEOUT = 5_000;
const CLOSE_WITHIN_MS = 1500;

/**
 * Decode an Engine.IO v3 XHR2 binary payload: for each packet one byte
 * (0 = string, 1 = binary), the length as one byte per decimal digit, 255,
 * then the packet (a binary packet starts with its type byte, 4 = message).
 */
function decodeBinaryPayloadV3(buf) {
  const out = [];
  let i = 0;
  while (i < buf.length) {
    const kind = buf[i++];
    assert.ok(kind === 0 || kind === 1, `binary payload: bad packet kind byte ${kind} at ${i - 1}`);
    let len = "";
    while (buf[i] !== 255) {
      assert.ok(i < buf.length && buf[i] <= 9, `binary payload: bad length digit at ${i}`);
      len += String(buf[i++]);
    }
    i++; // 255
    const n = Number(len);
    const body = buf.subarray(i, i + n);
    assert.equal(body.length, n, "binary payload: truncated packet");
    out.push(kind === 0 ? body.toString("utf8") : { type: body[0], data: Buffer.from(body.subarray(1)) });
    i += n;
  }
  return out;
}

describe("Engine.IO v3 raw polling and malformed payloads (echo)", () => {
  let srv;
  let wsClient;
  let pollClient;
  let n = 0;
  before(async () => {
    srv = await startServer("echo", {
      env: { PING_INTERVAL_MS: PING_INTERVAL, PING_TIMEOUT_MS: PING_TIMEOUT },
    });
    [wsClient, pollClient] = await Promise.all([
      v2Connect(srv, "/", { transports: ["websocket"] }),
      v2Connect(srv, "/", { transports: ["polling"] }),
    ]);
  });
  after(async () => {
    await srv?.stop();
  });

  /** Healthy 2.x clients still round-trip (binary included) and the server is alive. */
  async function assertHealthyUnaffected(what) {
    for (const s of [wsClient, pollClient]) {
      const token = `ok-${++n}`;
      const reply = await v2AckAll(s, "message-with-ack", token, Buffer.from([n % 256]));
      assert.deepEqual(
        normalizeBin(reply),
        normalizeBin([token, Buffer.from([n % 256])]),
        `healthy 2.x ${s.io.engine.transport.name} client must keep working after ${what}`,
      );
      assert.ok(s.connected, `healthy 2.x client still connected after ${what}`);
    }
    srv.assertAlive();
  }

  /** A raw v3 session on `/`, verified live with an ack round trip. */
  async function liveRaw(opts) {
    const p = new RawPollingV3(srv.url, opts);
    await p.handshake();
    await p.until((x) => x === "40", 2000, "the implicit CONNECT of / (40)");
    const id = ++n;
    const r = await p.post(`42${id}["message-with-ack","probe-${id}"]`);
    assert.equal(r.status, 200, `POST on a live v3 session: ${r.status} ${r.text}`);
    const ack = await p.until((x) => x.startsWith(`43${id}[`), 2000, "the probe's ack");
    assert.deepEqual(JSON.parse(ack.slice(`43${id}`.length)), [`probe-${id}`]);
    return p;
  }

  /** GET until the session is gone (HTTP 400, JSON code 1); a close / noop packet may come first. */
  async function expectGone(p, what) {
    const deadline = Date.now() + CLOSE_WITHIN_MS;
    let last;
    while (Date.now() < deadline) {
      const res = await fetchT(p.url(), {}, Math.max(100, deadline - Date.now()) + 500).catch((err) => {
        throw new Error(`${what}: GET still pending: ${err.message}`);
      });
      const text = await res.text();
      last = `${res.status} ${JSON.stringify(text)}`;
      if (res.status === 400) {
        let body;
        try {
          body = JSON.parse(text);
        } catch {
          assert.fail(`${what}: error body is not JSON: ${JSON.stringify(text)}`);
        }
        assert.equal(body.code, 1, `${what}: error code (body ${text})`);
        return;
      }
      assert.equal(res.status, 200, `${what}: unexpected GET status ${last}`);
      // only a close packet or a noop may still be delivered
      const packets = decodePayloadV3(text);
      assert.ok(
        packets.every((x) => x === "1" || x === "6"),
        `${what}: session still delivering packets: ${JSON.stringify(packets)}`,
      );
    }
    assert.fail(`timed out after ${CLOSE_WITHIN_MS} ms: ${what}; last GET: ${last}`);
  }

  it("handshake: a well-framed <len>:0{...} payload with sid, upgrades, pingInterval, pingTimeout; / connected implicitly", async () => {
    const p = new RawPollingV3(srv.url);
    const { open, text, rest, headers } = await p.handshake();
    const m = /^(\d+):/.exec(text);
    assert.ok(m, `length prefix expected: ${JSON.stringify(text)}`);
    const first = decodePayloadV3(text)[0];
    assert.equal(first.length, Number(m[1]), "the length prefix is the open packet's length");
    assert.match(headers.get("content-type") ?? "", /^text\/plain/, "a text payload");
    assert.equal(typeof open.sid, "string");
    assert.ok(open.sid.length > 0);
    assert.deepEqual(open.upgrades, ["websocket"]);
    assert.equal(open.pingInterval, PING_INTERVAL);
    assert.equal(open.pingTimeout, PING_TIMEOUT);
    // `/` is connected without the client asking; the echo server then emits `auth`
    const connect = await p.until((x) => x.startsWith("40"), 2000, "the implicit CONNECT of /");
    assert.equal(connect, "40", `CONNECT of / in v3 carries no payload, got ${JSON.stringify(connect)}`);
    const auth = await p.until((x) => x.startsWith('42["auth"'), 2000, "the auth event");
    assert.equal(JSON.parse(auth.slice(2))[0], "auth");
    assert.ok(Array.isArray(rest));
    await p.post("1"); // close
  });

  it("heartbeat: the server answers a POSTed ping with a pong (v3: the client pings)", async () => {
    const p = await liveRaw();
    assert.equal((await p.post("2")).status, 200);
    await p.until((x) => x === "3", 2000, "the pong");
    assert.equal((await p.post("2")).status, 200);
    await p.until((x) => x === "3", 2000, "the second pong");
    await p.post("1");
  });

  it("several packets in one POST payload are all handled, in order", async () => {
    const p = await liveRaw();
    const r = await p.postRaw(
      encodePayloadV3(['42["message","one"]', '42["message","two"]', '421["message-with-ack",3]']),
    );
    assert.equal(r.status, 200);
    const got = [];
    while (got.length < 3) {
      const x = await p.until((y) => y.startsWith('42["message-back"') || y.startsWith("431["), 2000, "the replies");
      got.push(x);
    }
    assert.deepEqual(got, ['42["message-back","one"]', '42["message-back","two"]', "431[3]"]);
    await p.post("1");
  });

  it("payload lengths count UTF-16 code units (an astral character counts 2), both ways", async () => {
    const p = await liveRaw();
    const packet = '427["message-with-ack","😀x é"]';
    assert.equal(packet.length, 31);
    assert.equal((await p.postRaw(`31:${packet}`)).status, 200);
    const deadline = Date.now() + 2000;
    let text = "";
    while (!text.includes("437[") && Date.now() < deadline) {
      const res = await fetchT(p.url(), {}, 2500);
      assert.equal(res.status, 200);
      text = await res.text();
    }
    // 12 UTF-16 code units (11 code points, 15 UTF-8 bytes)
    assert.equal(text, '12:437["😀x é"]', "the ack's length prefix counts UTF-16 code units");
    await p.post("1");
  });

  it("binary with b64=1: base64 `b4` attachments both ways in text payloads", async () => {
    const p = await liveRaw({ b64: true });
    const event = '451-["message",{"_placeholder":true,"num":0},"x"]';
    const r = await p.post([event, "b4" + Buffer.from([1, 2, 3]).toString("base64")]);
    assert.equal(r.status, 200, `POST ${r.text}`);
    const header = await p.until((x) => x.startsWith("451-"), 2000, "the binary event header");
    assert.deepEqual(JSON.parse(header.slice(4)), ["message-back", { _placeholder: true, num: 0 }, "x"]);
    const att = await p.until(() => true, 2000, "the attachment");
    assert.equal(att, "b4" + Buffer.from([1, 2, 3]).toString("base64"), "attachment as a base64 message packet");
    await p.post("1");
  });

  it("binary without b64: the server answers with an XHR2 binary payload", async () => {
    const p = await liveRaw();
    const r = await p.post(['451-["message",{"_placeholder":true,"num":0}]', "b4" + Buffer.from([9, 8]).toString("base64")]);
    assert.equal(r.status, 200, `POST ${r.text}`);
    const deadline = Date.now() + 2000;
    let packets = [];
    while (Date.now() < deadline && !packets.some((x) => typeof x === "object")) {
      const res = await fetchT(p.url(), {}, 2500);
      const ct = res.headers.get("content-type") ?? "";
      const buf = Buffer.from(await res.arrayBuffer());
      assert.equal(res.status, 200);
      if (ct.startsWith("application/octet-stream")) packets.push(...decodeBinaryPayloadV3(buf));
      else packets.push(...decodePayloadV3(buf.toString("utf8")));
    }
    const i = packets.findIndex((x) => typeof x === "string" && x.startsWith("451-"));
    assert.ok(i >= 0, `binary event header expected, got ${JSON.stringify(packets)}`);
    assert.deepEqual(JSON.parse(packets[i].slice(4)), ["message-back", { _placeholder: true, num: 0 }]);
    assert.deepEqual(packets[i + 1], { type: 4, data: Buffer.from([9, 8]) }, "attachment as a binary message packet");
    await p.post("1");
  });

  describe("malformed v3 payloads close only that session", () => {
    const CASES = [
      ["wrong length prefix (longer than the packet)", "5:4abc"],
      ["truncated payload", "10:4ab"],
      ["non-numeric length prefix", "x:4abc"],
      ["no length prefix at all", "4abc"],
      ["length counted in UTF-8 bytes instead of UTF-16 code units", `${Buffer.byteLength('42["message","😀"]')}:42["message","😀"]`],
      ["a bad payload after a good packet", encodePayloadV3(['42["message","fine"]']) + "7:4ab"],
    ];
    for (const [name, bad] of CASES) {
      it(`${name}: ${JSON.stringify(bad)}`, async () => {
        const healthyRaw = await liveRaw();
        const p = await liveRaw();
        const r = await p.postRaw(bad);
        assert.ok(r.status === 200 || r.status === 400, `POST of a malformed payload answered ${r.status} ${r.text}`);
        await expectGone(p, `session to end after POSTing ${JSON.stringify(bad)}`);
        // the other raw v3 session is untouched
        assert.equal((await healthyRaw.post('42["message","still"]')).status, 200);
        await healthyRaw.until((x) => x === '42["message-back","still"]', 2000, "message-back on the healthy raw session");
        await healthyRaw.post("1");
        await assertHealthyUnaffected(`POST ${JSON.stringify(bad)}`);
      });
    }
  });

  it("an unknown sid is HTTP 400 with code 1", async () => {
    const res = await fetchT(`${srv.url}/socket.io/?EIO=3&transport=polling&sid=nope`, {}, 2000);
    const text = await res.text();
    assert.equal(res.status, 400, text);
    assert.equal(JSON.parse(text).code, 1);
  });

  it("after all of this the healthy clients and the server are fine", async () => {
    await assertHealthyUnaffected("the whole file");
  });
});

// The legacy socket.io JavaScript client 2.x (Engine.IO v3, Socket.IO v4
// protocol) against the `echo` server, over every transport setup.
// Proves: a 2.x client connects with EIO=3 over websocket only (as the seed
// pages do), polling only, and polling upgraded to websocket, each also with
// forceBase64; its socket.id for `/` is its engine id; `message` comes back
// as `message-back` with several args, Buffers top level and nested (as
// Buffers, binary attachments over websocket frames, XHR2 binary payloads or
// base64 `b4` packets); `message-with-ack` acks the same args; during a
// polling -> websocket upgrade a burst of 200 numbered events (some binary)
// sent around the upgrade all come back once and in order and the engine
// ends on websocket; `/custom` works alone and multiplexed with `/` (traffic
// kept apart, the namespace query is its auth); an unknown namespace gets
// an ERROR packet ("Invalid namespace") without harming `/` on the same
// connection. At the packet level (raw EIO=3 websocket): binary attachments
// travel as binary frames (`\x04` + data) both ways, and as base64 text
// frames `b4...` both ways when the connection asked for b64=1.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, sleep, waitUntil } from "./harness.mjs";
import {
  v2Socket,
  v2Connect,
  v2Connected,
  v2Manager,
  v2Refused,
  v2Ack,
  v2AckAll,
  v2Next,
  v2Recorder,
  normalizeBin,
} from "./harness-v2.mjs";

const SETUPS = [
  ["websocket only", { transports: ["websocket"] }, "websocket"],
  ["polling only", { transports: ["polling"] }, "polling"],
  ["websocket only, forceBase64", { transports: ["websocket"], forceBase64: true }, "websocket"],
  ["polling only, forceBase64", { transports: ["polling"], forceBase64: true }, "polling"],
];

const BIN_ARGS = () => [
  "text ü 😀 𝄞", // non-ASCII and astral: payload lengths / UTF-8 in binary payloads
  42,
  Buffer.from([0, 1, 2, 255]),
  { nested: { buf: Buffer.from("héllo", "utf8"), list: [Buffer.from([7]), "x", null] } },
  [Buffer.alloc(0), true],
];

/** Every binary value in `value` is a Buffer (the Node 2.x client decodes binary as Buffers). */
function assertBuffers(value, where) {
  if (value instanceof ArrayBuffer || (ArrayBuffer.isView(value) && !Buffer.isBuffer(value))) {
    assert.fail(`${where}: binary decoded as ${value.constructor.name}, expected a Buffer`);
  }
  if (Array.isArray(value)) value.forEach((v, i) => assertBuffers(v, `${where}[${i}]`));
  else if (value && typeof value === "object" && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) assertBuffers(v, `${where}.${k}`);
  }
}

describe("socket.io-client 2.x against echo", () => {
  let srv;
  before(async () => {
    srv = await startServer("echo");
  });
  after(async () => {
    await srv?.stop();
  });

  for (const [label, opts, transport] of SETUPS) {
    describe(label, () => {
      let s;
      before(async () => {
        s = await v2Connect(srv, "/", opts);
      });
      after(() => s?.disconnect());

      it(`connects with EIO=3 over ${transport}; socket.id is the engine id`, async () => {
        assert.equal(s.io.engine.transport.name, transport);
        assert.equal(s.io.engine.transport.query.EIO, 3, "the 2.x client speaks Engine.IO v3");
        assert.equal(typeof s.io.engine.id, "string");
        assert.ok(s.io.engine.id.length > 0);
        assert.equal(s.id, s.io.engine.id, "socket.id of / is the engine id for a 2.x client");
        assert.ok(s.connected);
      });

      it("message -> message-back with several args, binary top level and nested", async () => {
        const args = BIN_ARGS();
        const back = v2Next(s, "message-back", 3000);
        s.emit("message", ...args);
        const got = await back;
        assert.deepEqual(normalizeBin(got), normalizeBin(args));
        assertBuffers(got, "message-back");
      });

      it("message -> message-back without binary, and without args", async () => {
        const rec = v2Recorder(s);
        s.emit("message", "plain", { a: [1, 2, { b: "ü✓ 😀" }] }, null, false);
        s.emit("message");
        s.emit("message", "😀".repeat(300), "𝄞");
        const got = await rec.waitFor("message-back", 3, 3000);
        assert.deepEqual(got, [["plain", { a: [1, 2, { b: "ü✓ 😀" }] }, null, false], [], ["😀".repeat(300), "𝄞"]]);
      });

      it("message-with-ack acks the same args, binary included", async () => {
        const args = BIN_ARGS();
        const reply = await v2AckAll(s, "message-with-ack", ...args);
        assert.deepEqual(normalizeBin(reply), normalizeBin(args));
        assertBuffers(reply, "ack");
        assert.deepEqual(await v2AckAll(s, "message-with-ack", 1, "two", [3]), [1, "two", [3]]);
      });

      it("30 concurrent acks are matched to their own emit", async () => {
        const replies = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            v2Ack(s, "message-with-ack", i % 5 === 0 ? { i, b: Buffer.from([i]) } : { i }),
          ),
        );
        assert.deepEqual(
          normalizeBin(replies),
          normalizeBin(Array.from({ length: 30 }, (_, i) => (i % 5 === 0 ? { i, b: Buffer.from([i]) } : { i }))),
        );
      });
    });
  }

  it("polling -> websocket upgrade: 200 numbered events around the upgrade all come back in order", async () => {
    const s = v2Socket(srv, "/", {}); // default transports: polling, then upgrade
    // hold the upgrade probe back until events are flowing over polling, so
    // that the burst really spans before / during / after the upgrade
    const engine = s.io.engine;
    assert.equal(typeof engine.probe, "function", "engine.io-client 3.x internals changed: no engine.probe");
    const origProbe = engine.probe;
    let releaseProbe;
    const probeGate = new Promise((resolve) => (releaseProbe = resolve));
    engine.probe = function (name) {
      probeGate.then(() => origProbe.call(engine, name));
    };
    let upgraded = false;
    const sent = [];
    let sentBeforeUpgrade = -1;
    engine.on("upgrade", () => {
      upgraded = true;
      sentBeforeUpgrade = sent.length;
    });
    await v2Connected(s);
    assert.equal(engine.transport.name, "polling", "starts on polling");
    const rec = v2Recorder(s);
    // keep emitting (a few per tick) until the upgrade is done and >= 200 were sent
    const payload = (i) => (i % 25 === 0 ? [i, Buffer.from([i % 256, 0xab])] : [i]);
    const deadline = Date.now() + 5000;
    let i = 0;
    while ((i < 200 || !upgraded) && Date.now() < deadline && i < 5000) {
      s.emit("message", ...payload(i));
      sent.push(i);
      i++;
      if (i === 40) releaseProbe();
      if (i % 4 === 0) await sleep(1);
    }
    assert.ok(upgraded, `upgrade did not happen within 5 s (sent ${i} events)`);
    assert.ok(sentBeforeUpgrade >= 40, "events were sent over polling and during the probe");
    // a few more after the upgrade
    for (let k = 0; k < 20; k++, i++) {
      s.emit("message", ...payload(i));
      sent.push(i);
    }
    const got = await rec.waitFor("message-back", sent.length, 8000);
    await sleep(100);
    const nums = rec.of("message-back").map((args) => args[0]);
    assert.deepEqual(nums, sent, "every event back exactly once, in order");
    for (const args of rec.of("message-back")) {
      assert.deepEqual(normalizeBin(args), normalizeBin(payload(args[0])), `args of event #${args[0]}`);
    }
    assert.equal(got.length, sent.length);
    assert.equal(s.io.engine.transport.name, "websocket", "the engine ends on websocket");
    // still fine afterwards, over websocket
    assert.deepEqual(await v2AckAll(s, "message-with-ack", "after upgrade", Buffer.from([1])), [
      "after upgrade",
      Buffer.from([1]),
    ]);
    s.disconnect();
  });

  it("polling -> websocket upgrade with forceBase64: binary still round-trips", async () => {
    const s = v2Socket(srv, "/", { forceBase64: true });
    const upgrade = v2Next(s.io.engine, "upgrade", 5000);
    await v2Connected(s);
    const before = await v2AckAll(s, "message-with-ack", Buffer.from([1, 2]), { b: Buffer.from([3]) });
    assert.deepEqual(normalizeBin(before), normalizeBin([Buffer.from([1, 2]), { b: Buffer.from([3]) }]));
    await upgrade;
    assert.equal(s.io.engine.transport.name, "websocket");
    const after = await v2AckAll(s, "message-with-ack", Buffer.from([4]), { b: [Buffer.from([5, 6])] });
    assert.deepEqual(normalizeBin(after), normalizeBin([Buffer.from([4]), { b: [Buffer.from([5, 6])] }]));
    assertBuffers(after, "ack after upgrade");
    s.disconnect();
  });

  for (const [label, opts] of [
    ["websocket", { transports: ["websocket"] }],
    ["polling", { transports: ["polling"] }],
  ]) {
    it(`/custom alone over ${label}: the namespace query is its auth; message and acks work`, async () => {
      const s = v2Socket(srv, "/custom", { ...opts, query: { who: "custom", n: "1" } });
      const auth = v2Next(s, "auth", 3000);
      await v2Connected(s);
      assert.equal(s.nsp, "/custom");
      assert.deepEqual(await auth, [{ who: "custom", n: "1" }]);
      const back = v2Next(s, "message-back", 2000);
      s.emit("message", "on custom", Buffer.from([9, 9]));
      assert.deepEqual(normalizeBin(await back), normalizeBin(["on custom", Buffer.from([9, 9])]));
      assert.deepEqual(await v2AckAll(s, "message-with-ack", { ns: "custom" }), [{ ns: "custom" }]);
      s.disconnect();
    });
  }

  it("/ and /custom multiplexed over one engine keep their traffic apart", async () => {
    const m = v2Manager(srv, { transports: ["websocket"] });
    const root = m.socket("/");
    const custom = m.socket("/custom");
    await Promise.all([v2Connected(root), v2Connected(custom)]);
    assert.equal(root.io, custom.io);
    assert.equal(root.id, m.engine.id);
    const recRoot = v2Recorder(root);
    const recCustom = v2Recorder(custom);
    root.emit("message", "to-root");
    custom.emit("message", "to-custom");
    assert.deepEqual(await recRoot.waitFor("message-back", 1), [["to-root"]]);
    assert.deepEqual(await recCustom.waitFor("message-back", 1), [["to-custom"]]);
    const [a, b] = await Promise.all([v2Ack(root, "message-with-ack", "r"), v2Ack(custom, "message-with-ack", "c")]);
    assert.equal(a, "r");
    assert.equal(b, "c");
    await sleep(100);
    assert.deepEqual(recRoot.of("message-back"), [["to-root"]], "no cross-talk into /");
    assert.deepEqual(recCustom.of("message-back"), [["to-custom"]], "no cross-talk into /custom");
    // leaving /custom keeps / connected on the same engine
    custom.disconnect();
    await sleep(100);
    assert.ok(root.connected);
    assert.equal(await v2Ack(root, "message-with-ack", "still"), "still");
    root.disconnect();
  });

  for (const [label, opts] of [
    ["websocket", { transports: ["websocket"] }],
    ["polling", { transports: ["polling"] }],
  ]) {
    it(`unknown namespace over ${label}: "error" with "Invalid namespace"; / on the same engine is unharmed`, async () => {
      const m = v2Manager(srv, opts);
      const root = m.socket("/");
      await v2Connected(root);
      const nope = m.socket("/nope");
      let connectedNope = false;
      nope.on("connect", () => (connectedNope = true));
      const rootErrors = [];
      root.on("error", (e) => rootErrors.push(e));
      assert.equal(await v2Refused(nope), "Invalid namespace");
      await sleep(100);
      assert.equal(connectedNope, false);
      assert.equal(nope.connected, false);
      assert.deepEqual(rootErrors, [], "the refusal is for /nope only");
      assert.ok(root.connected);
      assert.deepEqual(await v2AckAll(root, "message-with-ack", "root ok"), ["root ok"]);
      root.disconnect();
      nope.disconnect();
    });
  }

  it("a 2.x client's disconnect ends its engine connection, other clients unaffected", async () => {
    const a = await v2Connect(srv, "/", { transports: ["websocket"] });
    const b = await v2Connect(srv, "/", { transports: ["polling"] });
    const engineA = a.io.engine;
    const closed = v2Next(engineA, "close", 2000);
    a.disconnect();
    await closed;
    assert.equal(engineA.readyState, "closed");
    assert.equal(await v2Ack(b, "message-with-ack", "b ok"), "b ok");
    await waitUntil(() => b.connected, 500, "b still connected");
    b.disconnect();
  });

  describe("Engine.IO v3 websocket at the packet level", () => {
    /** Raw EIO=3 websocket on /, past the open packet, CONNECT `40` and the `auth` event. */
    async function rawV3(query = "") {
      const ws = srv.rawWs(`/socket.io/?EIO=3&transport=websocket${query}`);
      const open = await ws.handshake();
      assert.equal(typeof open.sid, "string");
      assert.deepEqual(open.upgrades, [], "no upgrade from websocket");
      assert.equal(await ws.next(2000, "the implicit CONNECT of /"), "40");
      const auth = await ws.next(2000, "the auth event");
      assert.ok(typeof auth === "string" && auth.startsWith('42["auth"'), `auth event expected, got ${JSON.stringify(auth)}`);
      return ws;
    }
    const HEADER = '451-["message",{"_placeholder":true,"num":0},"z"]';
    const BACK = ["message-back", { _placeholder: true, num: 0 }, "z"];

    it("binary attachments as binary frames (type byte 4 + data), both ways", async () => {
      const ws = await rawV3();
      ws.send(HEADER);
      ws.send(Buffer.from([4, 1, 2, 3]));
      const header = await ws.next(2000, "the binary event header");
      assert.equal(typeof header, "string");
      assert.ok(header.startsWith("451-"), `binary event header expected, got ${JSON.stringify(header)}`);
      assert.deepEqual(JSON.parse(header.slice(4)), BACK);
      const att = await ws.next(2000, "the attachment");
      assert.ok(Buffer.isBuffer(att), `a binary frame expected, got ${JSON.stringify(att)}`);
      assert.deepEqual([...att], [4, 1, 2, 3]);
      ws.close();
    });

    it("b64=1: base64 `b4` text frames are accepted and binary is sent back as `b4` text frames", async () => {
      const ws = await rawV3("&b64=1");
      ws.send(HEADER);
      ws.send("b4" + Buffer.from([1, 2, 3]).toString("base64"));
      const header = await ws.next(2000, "the binary event header (is `b4...` accepted on websocket?)");
      assert.ok(typeof header === "string" && header.startsWith("451-"), `binary event header expected, got ${JSON.stringify(header)}`);
      assert.deepEqual(JSON.parse(header.slice(4)), BACK);
      const att = await ws.next(2000, "the attachment");
      assert.equal(att, "b4" + Buffer.from([1, 2, 3]).toString("base64"), "attachment as a base64 text frame with b64=1");
      assert.equal(ws.closeInfo, null);
      ws.close();
    });
  });
});

// Binary anywhere in typed payloads, against `testapp`, with socket.io-client 4.x and the
// legacy 2.x client, over websocket and polling.
// Proves: `typed-binary` deserializes a struct with Buffers at depths 1, 2 (in an array) and 3
// into `Bytes` fields and a binary argument into `Vec<u8>`, and acknowledges the struct back
// with every Buffer as binary (never an array of numbers), plus the Vec's length; a missing
// optional nested struct stays null; `relay-value` takes any JSON with Buffers nested as a
// `serde_json::Value` and sends it back, by emit and by ack, with the Buffers as binary.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, nextEvent, withTimeout } from "./harness.mjs";
import { v2Connect, v2AckAll, v2Next, normalizeBin } from "./harness-v2.mjs";

const WS = { transports: ["websocket"] };
const POLL = { transports: ["polling"], upgrade: false };
const buf = (...bytes) => Buffer.from(bytes);

/** Every argument of the acknowledgement of a 4.x emit. */
function ackAll(socket, event, ...args) {
  const reply = new Promise((resolve, reject) =>
    socket.timeout(2000).emit(event, ...args, (err, ...replyArgs) => (err ? reject(err) : resolve(replyArgs))),
  );
  return withTimeout(reply, 3000, `ack for "${event}"`);
}

const parcel = () => ({
  label: "box",
  cover: buf(1, 2, 3),
  inner: { pages: [buf(4), buf(), buf(5, 6)], sleeve: { note: buf(7, 8, 9) } },
});
const anything = () => ({ a: [1, { b: buf(0xca, 0xfe) }], c: buf(0xff), d: "text", e: null });

/** Asserts that every Buffer of `expected` arrived as a Buffer with the same bytes. */
function assertSameBinary(got, expected, what) {
  assert.deepEqual(normalizeBin(got), normalizeBin(expected), what);
}

const CLIENTS = [
  ["socket.io-client 4.x", async (srv, opts) => srv.connect("/", opts), ackAll, nextEvent],
  ["socket.io-client 2.x", async (srv, opts) => v2Connect(srv, "/", opts), v2AckAll, v2Next],
];

let srv;
before(async () => {
  srv = await startServer("testapp");
});
after(() => srv?.stop());

for (const [client, connect, ackWith, next] of CLIENTS) {
  describe(`typed binary payloads (${client})`, () => {
    for (const [label, opts] of [
      ["websocket", WS],
      ["polling", POLL],
    ]) {
      it(`Bytes fields at depths 1 to 3 and a Vec<u8> argument go in and come back as binary (${label})`, async () => {
        const s = await connect(srv, opts);
        const raw = Buffer.alloc(300 * 1024, 0xab);
        const [echoed, rawLength] = await ackWith(s, "typed-binary", parcel(), raw);
        assertSameBinary(echoed, parcel(), "the parcel comes back as it went");
        assert.ok(Buffer.isBuffer(echoed.inner.sleeve.note), "depth 3 is a Buffer, not numbers");
        assert.equal(rawLength, raw.length);
        const [noSleeve] = await ackWith(s, "typed-binary", { ...parcel(), inner: { pages: [], sleeve: null } }, buf());
        assert.equal(noSleeve.inner.sleeve, null);
        s.disconnect();
      });

      it(`a serde_json::Value keeps nested binary, sent back by emit and by ack as binary (${label})`, async () => {
        const s = await connect(srv, opts);
        const relayed = next(s, "relayed", 3000);
        const [acked] = await ackWith(s, "relay-value", anything());
        assertSameBinary(acked, anything(), "the ack");
        assertSameBinary((await relayed)[0], anything(), "the emit");
        assert.ok(Buffer.isBuffer(acked.a[1].b), "nested binary is a Buffer");
        s.disconnect();
      });
    }
  });
}

// Event payloads through `echo`, over websocket and over polling.
// Proves: events with 0, 1 and many arguments of mixed JSON types come back
// unchanged as `message-back`; binary travels both ways (a Buffer at top
// level, nested in objects and arrays, several Buffers in one event, empty
// and large buffers) and comes back as Buffers with the same bytes;
// `message-with-ack` acknowledges with the same arguments (binary included).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  connected,
  ack,
  nextEvent,
  normalizeBinary,
} from "./harness.mjs";

const CASES = [
  { name: "no arguments", args: [] },
  { name: "one string", args: ["hello"] },
  { name: "one number", args: [42] },
  { name: "null", args: [null] },
  { name: "boolean false", args: [false] },
  { name: "empty string / array / object", args: ["", [], {}] },
  {
    name: "several mixed arguments",
    args: [1, "two", { three: 3, nested: { deep: [true, null, 1.5] } }, [4, "five"], false, -0.25],
  },
  { name: "unicode", args: ["héllo ✓ 🚀", { "clé-ü": "välue" }] },
  { name: "strings that look like packets", args: ['42["x"]', "\x1e", "b", "4", '{"_placeholder":true,"num":0}'] },
];

const bytes = (...b) => Buffer.from(b);

const BINARY_CASES = [
  { name: "a Buffer at top level", args: [bytes(1, 2, 3)] },
  { name: "an empty Buffer", args: [Buffer.alloc(0)] },
  { name: "a Buffer with every byte value", args: [Buffer.from(Array.from({ length: 256 }, (_, i) => i))] },
  { name: "Buffer next to plain args", args: ["before", bytes(0, 255), 7, "after"] },
  { name: "a Buffer nested in an object", args: [{ file: { name: "a.bin", data: bytes(9, 8, 7) } }] },
  { name: "a Buffer nested in an array", args: [[1, bytes(5, 6), "x", [bytes(7)]]] },
  {
    name: "several Buffers in one event",
    args: [bytes(1), { a: bytes(2, 2), list: [bytes(3, 3, 3), { b: bytes(4) }] }, bytes(5, 5, 5, 5, 5)],
  },
  { name: "a 64 KiB Buffer", args: [Buffer.alloc(64 * 1024, 0xab)] },
  // Large and nested: read from the attachment in place. 700 KiB, as base64 over polling,
  // stays under the 1 MB default payload limit.
  { name: "a 700 KiB Buffer in an object", args: [{ big: Buffer.alloc(700 * 1024, 0xcd) }] },
];

for (const [label, opts] of [
  ["websocket", { transports: ["websocket"] }],
  ["polling", { transports: ["polling"], upgrade: false }],
]) {
  describe(`events and binary over ${label} (echo)`, () => {
    let srv;
    let s;
    before(async () => {
      srv = await startServer("echo");
      s = srv.socket("/", opts);
      await connected(s);
      assert.equal(s.io.engine.transport.name, label);
    });
    after(async () => {
      await srv?.stop();
    });

    for (const c of [...CASES, ...BINARY_CASES]) {
      it(`message -> message-back: ${c.name}`, async () => {
        const back = nextEvent(s, "message-back", 3000);
        s.emit("message", ...c.args);
        const got = await back;
        assert.deepEqual(normalizeBinary(got), normalizeBinary(c.args));
      });

      it(`message-with-ack acks the same args: ${c.name}`, async () => {
        const got = await new Promise((resolve, reject) => {
          s.timeout(3000).emit("message-with-ack", ...c.args, (err, ...reply) =>
            err ? reject(new Error(`no ack for message-with-ack: ${err.message}`)) : resolve(reply),
          );
        });
        assert.deepEqual(normalizeBinary(got), normalizeBinary(c.args));
      });
    }

    it("binary comes back as Buffers (not ArrayBuffer or base64 strings)", async () => {
      const got = await ack(s, "message-with-ack", { x: bytes(1, 2) });
      assert.ok(Buffer.isBuffer(got.x), `expected a Buffer, got ${Object.prototype.toString.call(got.x)}`);
      assert.deepEqual([...got.x], [1, 2]);
    });

    it("interleaved binary and text events keep their order", async () => {
      const received = [];
      const done = new Promise((resolve) => {
        const h = (...args) => {
          received.push(args);
          if (received.length === 30) {
            s.off("message-back", h);
            resolve();
          }
        };
        s.on("message-back", h);
      });
      for (let i = 0; i < 30; i++) {
        if (i % 3 === 0) s.emit("message", i, bytes(i));
        else s.emit("message", i, `t${i}`);
      }
      await Promise.race([
        done,
        new Promise((_, rej) => setTimeout(() => rej(new Error("30 message-back events not received in 5 s")), 5000)),
      ]);
      assert.deepEqual(
        received.map((a) => a[0]),
        Array.from({ length: 30 }, (_, i) => i),
      );
      for (const [i, payload] of received) {
        if (i % 3 === 0) assert.deepEqual(normalizeBinary(payload), normalizeBinary(bytes(i)));
        else assert.equal(payload, `t${i}`);
      }
    });
  });
}

// Acknowledgements in both directions (testapp, plus echo for the basics).
// Proves: client->server acks carry the handler's reply (binary included,
// nested Buffers come back as Buffers) and many concurrent acks are matched to
// the right emit; an event the server never acks makes the client's
// `timeout().emitWithAck` reject (and the catch-all still sees the event);
// server->client acks via `call` return the client's reply args (several,
// none, binary) or {error: "timeout"} when the client never answers, without
// breaking later calls; `call-room` collects per-socket results sorted by sid
// with a timeout entry for the socket that does not answer; `send()` is
// answered with a `message` event.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  connected,
  ack,
  ackWithin,
  nextEvent,
  normalizeBinary,
  sleep,
} from "./harness.mjs";

const TRANSPORTS = [
  ["websocket", { transports: ["websocket"] }],
  ["polling", { transports: ["polling"], upgrade: false }],
];

describe("acks (testapp)", () => {
  let srv;
  before(async () => {
    srv = await startServer("testapp");
  });
  after(async () => {
    await srv?.stop();
  });

  for (const [label, opts] of TRANSPORTS) {
    describe(`over ${label}`, () => {
      let s;
      before(async () => {
        s = await srv.connect("/", opts);
      });
      after(() => s?.disconnect());

      it("echo acks with the same args, binary included", async () => {
        const args = [1, "two", { three: Buffer.from([3]) }, [Buffer.from([4, 4])], null];
        const reply = await new Promise((resolve, reject) =>
          s.timeout(2000).emit("echo", ...args, (err, ...r) => (err ? reject(err) : resolve(r))),
        );
        assert.deepEqual(normalizeBinary(reply), normalizeBinary(args));
      });

      it("binary acks {nested: {buf: <1,2,3>}, list: [<4,5>, 'text']}", async () => {
        const reply = await ack(s, "binary");
        assert.ok(Buffer.isBuffer(reply.nested.buf), "nested.buf is a Buffer");
        assert.ok(Buffer.isBuffer(reply.list[0]), "list[0] is a Buffer");
        assert.deepEqual(normalizeBinary(reply), normalizeBinary({
          nested: { buf: Buffer.from([1, 2, 3]) },
          list: [Buffer.from([4, 5]), "text"],
        }));
      });

      it("50 concurrent acks are each matched to their own emit", async () => {
        const replies = await Promise.all(
          Array.from({ length: 50 }, (_, i) => ack(s, "echo", `req-${i}`)),
        );
        assert.deepEqual(replies, Array.from({ length: 50 }, (_, i) => `req-${i}`));
      });

      it("an event the server never acks: client timeout rejects, catch-all still sees it", async () => {
        const unknown = nextEvent(s, "unknown", 2000);
        const t0 = Date.now();
        await assert.rejects(
          s.timeout(50).emitWithAck("nobody-acks-this", 7, "x"),
          (err) => err instanceof Error && /timed out/.test(err.message),
        );
        assert.ok(Date.now() - t0 >= 45, "rejects only after the timeout");
        assert.deepEqual(await unknown, ["nobody-acks-this", 7, "x"]);
        // the socket is still perfectly usable
        assert.equal(await ack(s, "echo", "after-timeout"), "after-timeout");
      });

      it("call: the server awaits the client's ack and returns its reply args", async () => {
        s.on("add", (a, b, cb) => cb(a + b, "sum"));
        try {
          const res = await ack(s, "call", { event: "add", args: [2, 3], timeoutMs: 1000 });
          assert.deepEqual(res, { ok: [5, "sum"] });
        } finally {
          s.off("add");
        }
      });

      it("call: a reply without args is {ok: []}; binary replies come back as binary", async () => {
        s.on("empty", (cb) => cb());
        s.on("blob", (n, cb) => cb({ data: Buffer.from([n, n + 1]) }, Buffer.from("hi")));
        try {
          assert.deepEqual(await ack(s, "call", { event: "empty", args: [], timeoutMs: 1000 }), { ok: [] });
          const res = await ack(s, "call", { event: "blob", args: [10], timeoutMs: 1000 });
          assert.deepEqual(normalizeBinary(res), normalizeBinary({
            ok: [{ data: Buffer.from([10, 11]) }, Buffer.from("hi")],
          }));
        } finally {
          s.off("empty");
          s.off("blob");
        }
      });

      it("call: the client receives the args it is called with, binary included", async () => {
        let received;
        s.on("inspect", (...args) => {
          const cb = args.pop();
          received = args;
          cb("seen");
        });
        try {
          const args = ["a", { b: Buffer.from([1]) }, [2]];
          const res = await ack(s, "call", { event: "inspect", args, timeoutMs: 1000 });
          assert.deepEqual(res, { ok: ["seen"] });
          assert.deepEqual(normalizeBinary(received), normalizeBinary(args));
        } finally {
          s.off("inspect");
        }
      });

      it("call: a client that never answers gives {error: 'timeout'} after timeoutMs", async () => {
        let called = false;
        s.on("silent", () => {
          called = true; // never calls the ack
        });
        try {
          const t0 = Date.now();
          const res = await ack(s, "call", { event: "silent", args: [1], timeoutMs: 200 });
          const elapsed = Date.now() - t0;
          assert.deepEqual(res, { error: "timeout" });
          assert.ok(called, "the client did receive the event");
          assert.ok(elapsed >= 180, `timeout reported after ${elapsed} ms, before timeoutMs`);
          assert.ok(elapsed < 1500, `timeout reported late: ${elapsed} ms`);
        } finally {
          s.off("silent");
        }
      });

      it("call: a late reply after the timeout is dropped and later calls still work", async () => {
        s.on("slow", (cb) => setTimeout(() => cb("too late"), 250));
        s.on("fast", (cb) => cb("fast"));
        try {
          assert.deepEqual(await ack(s, "call", { event: "slow", args: [], timeoutMs: 80 }), { error: "timeout" });
          await sleep(300); // the late ack arrives now and must be ignored
          assert.ok(s.connected, "a late ack must not get the client disconnected");
          assert.deepEqual(await ack(s, "call", { event: "fast", args: [], timeoutMs: 1000 }), { ok: ["fast"] });
        } finally {
          s.off("slow");
          s.off("fast");
        }
      });

      it("send() is answered with a `message` event carrying the same args", async () => {
        const got = nextEvent(s, "message", 2000);
        s.send("hello", { n: 1 }, Buffer.from([7]));
        assert.deepEqual(normalizeBinary(await got), normalizeBinary(["hello", { n: 1 }, Buffer.from([7])]));
      });

      it("catch-all: unhandled events come back as `unknown` [name, ...args]", async () => {
        const got = nextEvent(s, "unknown", 2000);
        s.emit("what-is-this", 1, { two: 2 });
        assert.deepEqual(await got, ["what-is-this", 1, { two: 2 }]);
        const got2 = nextEvent(s, "unknown", 2000);
        s.emit("no-args");
        assert.deepEqual(await got2, ["no-args"]);
      });
    });
  }

  it("call-room: every socket in the room is asked; the silent one times out; sorted by sid", async () => {
    const [a, b, c, outsider] = await Promise.all([
      srv.connect("/", { transports: ["websocket"] }),
      srv.connect("/", { transports: ["polling"], upgrade: false }),
      srv.connect("/", { transports: ["websocket"] }),
      srv.connect("/", { transports: ["websocket"] }),
    ]);
    for (const s of [a, b, c]) await ack(s, "join", "call-room-1");
    const asked = new Map();
    for (const s of [a, b]) {
      s.on("question", (x, cb) => {
        asked.set(s.id, x);
        cb(s.id, x * 2);
      });
    }
    c.on("question", (x) => asked.set(c.id, x)); // never answers
    outsider.on("question", () => asked.set("outsider", true));

    const t0 = Date.now();
    const res = await ackWithin(3000, a, "call-room", {
      room: "call-room-1",
      event: "question",
      args: [21],
      timeoutMs: 300,
    });
    const elapsed = Date.now() - t0;
    const expected = [a, b, c]
      .map((s) => s.id)
      .sort()
      .map((sid) => (sid === c.id ? { sid, error: "timeout" } : { sid, ok: [sid, 42] }));
    assert.deepEqual(res, expected);
    assert.ok(elapsed >= 280, `call-room answered after ${elapsed} ms, before the timeout`);
    assert.equal(asked.get(c.id), 21, "the silent socket was asked too");
    assert.equal(asked.has("outsider"), false, "a socket outside the room is not asked");
    for (const s of [a, b, c, outsider]) s.disconnect();
  });

  it("call-room-all: every reply, or the error with the replies that came (Node's emitWithAck)", async () => {
    const [a, b, c] = await Promise.all([
      srv.connect("/", { transports: ["websocket"] }),
      srv.connect("/", { transports: ["polling"], upgrade: false }),
      srv.connect("/", { transports: ["websocket"] }),
    ]);
    for (const s of [a, b]) await ack(s, "join", "call-all-1");
    for (const s of [a, b, c]) s.on("q", (x, cb) => cb(x + 1));
    const all = await ackWithin(3000, a, "call-room-all", { room: "call-all-1", event: "q", args: [1], timeoutMs: 1000 });
    assert.deepEqual(all, { ok: [[2], [2]] });

    await ack(c, "join", "call-all-1");
    c.off("q");
    c.on("q", () => {}); // asked, never answers
    const partial = await ackWithin(3000, a, "call-room-all", { room: "call-all-1", event: "q", args: [5], timeoutMs: 300 });
    assert.deepEqual(partial, {
      error: "1 of 3 acknowledgements missing (the first: the acknowledgement timed out)",
      replies: [[6], [6]],
    });
    for (const s of [a, b, c]) s.disconnect();
  });

  it("call-room on an empty room acks []", async () => {
    const s = await srv.connect("/", { transports: ["websocket"] });
    assert.deepEqual(
      await ack(s, "call-room", { room: "nobody-here", event: "q", args: [], timeoutMs: 100 }),
      [],
    );
    s.disconnect();
  });
});

describe("acks (echo)", () => {
  let srv;
  before(async () => {
    srv = await startServer("echo");
  });
  after(async () => {
    await srv?.stop();
  });

  it("`message` is answered by an event, not an ack: emitWithAck times out", async () => {
    const s = await srv.connect("/", { transports: ["websocket"] });
    const back = nextEvent(s, "message-back", 2000);
    await assert.rejects(s.timeout(100).emitWithAck("message", "x"), /timed out/);
    assert.deepEqual(await back, ["x"]);
    s.disconnect();
  });

  it("message-with-ack on /custom acks there", async () => {
    const s = await srv.connect("/custom", { transports: ["websocket"] });
    assert.deepEqual(await ack(s, "message-with-ack", { ns: "custom" }), { ns: "custom" });
    s.disconnect();
  });
});

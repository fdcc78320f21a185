// Legacy 2.x clients (Engine.IO v3 / Socket.IO v4 protocol) and current
// 4.x clients (Engine.IO v4 / Socket.IO v5 protocol) on one `testapp`.
// Proves: the two client generations share rooms and every broadcast
// operator (to one room, several rooms, except, includeSelf true/false,
// everyone, a single sid, an emit from outside any handler) reaches exactly
// the right clients of both kinds, once, each in its own protocol, with the
// same args, binary top level and nested (as Buffers) — whether the sender is
// a 2.x or a 4.x client, over websocket and polling; room listings mix both
// kinds of ids; `call-room` collects the acks of 2.x and 4.x clients alike
// (and a timeout for a silent one of either kind); `call` works for both.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, sleep, ack, ackWithin, recorder, normalizeBinary } from "./harness.mjs";
import { v2Connect, v2Ack, v2AckWithin, v2Recorder, normalizeBin } from "./harness-v2.mjs";

const ABSENCE_WAIT_MS = 150;
const WS = { transports: ["websocket"] };
const POLL_V2 = { transports: ["polling"] };
const POLL_V4 = { transports: ["polling"], upgrade: false };

let eventSeq = 0;
const freshEvent = (tag) => `mixed-${tag}-${++eventSeq}`;

/** A client of either generation, with uniform helpers. */
async function client(srv, kind, opts) {
  if (kind === "v2") {
    const s = await v2Connect(srv, "/", opts);
    return { kind, s, id: s.id, rec: v2Recorder(s), ack: (ev, ...a) => v2Ack(s, ev, ...a) };
  }
  const s = await srv.connect("/", opts);
  return { kind, s, id: s.id, rec: recorder(s), ack: (ev, ...a) => ack(s, ev, ...a) };
}

async function expectDelivery(clients, event, args, yesNames) {
  const yes = new Set(yesNames);
  for (const name of yes) {
    await clients[name].rec.waitFor(event, 1, 2000).catch((err) => {
      throw new Error(`${name} (${clients[name].kind}) should have received "${event}": ${err.message}`);
    });
  }
  await sleep(ABSENCE_WAIT_MS);
  for (const [name, c] of Object.entries(clients)) {
    const got = c.rec.of(event);
    if (yes.has(name)) {
      assert.equal(got.length, 1, `${name} (${c.kind}) must receive "${event}" exactly once, got ${got.length}`);
      // both generations decode binary as Buffers in Node
      assert.deepEqual(normalizeBinary(got[0]), normalizeBinary(args), `${name} (${c.kind}): args of "${event}"`);
    } else {
      assert.equal(got.length, 0, `${name} (${c.kind}) must NOT receive "${event}" (got ${got.length})`);
    }
  }
}

describe("2.x and 4.x clients together (testapp)", () => {
  let srv;
  before(async () => {
    srv = await startServer("testapp");
  });
  after(async () => {
    await srv?.stop();
  });

  describe("broadcast operators (v2ws:r1, v4ws:r1+r2, v2poll:r2, v4poll:none)", () => {
    let C;
    const BIN = () => ["mixed", Buffer.from([0, 255]), { deep: { buf: Buffer.from("b") }, list: [Buffer.from([1]), 2] }];
    before(async () => {
      const [a, b, c, d] = await Promise.all([
        client(srv, "v2", WS),
        client(srv, "v4", WS),
        client(srv, "v2", POLL_V2),
        client(srv, "v4", POLL_V4),
      ]);
      C = { v2ws: a, v4ws: b, v2poll: c, v4poll: d };
      for (const [name, x] of Object.entries(C)) {
        assert.equal(Number(x.s.io.engine.transport.query.EIO), x.kind === "v2" ? 3 : 4, `${name}: Engine.IO protocol`);
      }
      await C.v2ws.ack("join", "r1");
      await C.v4ws.ack("join", ["r1", "r2"]);
      await C.v2poll.ack("join", "r2");
      assert.deepEqual(await C.v4poll.ack("room-sockets", "r1"), [C.v2ws.id, C.v4ws.id].sort());
      assert.deepEqual(await C.v2ws.ack("room-sockets", "r2"), [C.v4ws.id, C.v2poll.id].sort());
    });
    after(() => {
      for (const c of Object.values(C ?? {})) c.s.disconnect();
    });

    const bc = async (from, opts) => {
      assert.equal(await C[from].ack("broadcast", opts), "done");
    };

    for (const from of ["v4poll", "v2poll"]) {
      it(`to one room, from a ${from.slice(0, 2)} client outside it`, async () => {
        const event = freshEvent("r1");
        await bc(from, { to: ["r1"], event, args: BIN() });
        await expectDelivery(C, event, BIN(), ["v2ws", "v4ws"]);
      });
    }

    it("to two rooms: the member of both (4.x) receives once, 2.x members too", async () => {
      const event = freshEvent("r1r2");
      await bc("v4poll", { to: ["r1", "r2"], event, args: BIN() });
      await expectDelivery(C, event, BIN(), ["v2ws", "v4ws", "v2poll"]);
    });

    it("includeSelf false / true, from a 2.x and from a 4.x sender", async () => {
      let event = freshEvent("v2-noself");
      await bc("v2ws", { to: ["r1"], event, args: BIN() });
      await expectDelivery(C, event, BIN(), ["v4ws"]);
      event = freshEvent("v4-noself");
      await bc("v4ws", { to: ["r1"], event, args: BIN() });
      await expectDelivery(C, event, BIN(), ["v2ws"]);
      event = freshEvent("v2-self");
      await bc("v2ws", { to: ["r1"], includeSelf: true, event, args: BIN() });
      await expectDelivery(C, event, BIN(), ["v2ws", "v4ws"]);
      event = freshEvent("v4-self");
      await bc("v4ws", { to: ["r2"], includeSelf: true, event, args: BIN() });
      await expectDelivery(C, event, BIN(), ["v4ws", "v2poll"]);
    });

    it("everyone, without and with the sender", async () => {
      let event = freshEvent("all-from-v2");
      await bc("v2poll", { event, args: BIN() });
      await expectDelivery(C, event, BIN(), ["v2ws", "v4ws", "v4poll"]);
      event = freshEvent("all-from-v4");
      await bc("v4ws", { event, args: [1, 2, 3] });
      await expectDelivery(C, event, [1, 2, 3], ["v2ws", "v2poll", "v4poll"]);
      event = freshEvent("all-self");
      await bc("v2ws", { includeSelf: true, event, args: BIN() });
      await expectDelivery(C, event, BIN(), ["v2ws", "v4ws", "v2poll", "v4poll"]);
    });

    it("except a room, and a room except another", async () => {
      let event = freshEvent("except-r2");
      await bc("v4poll", { except: ["r2"], event, args: BIN() });
      await expectDelivery(C, event, BIN(), ["v2ws"]);
      event = freshEvent("except-r1-self");
      await bc("v2poll", { except: ["r1"], includeSelf: true, event, args: ["x"] });
      await expectDelivery(C, event, ["x"], ["v2poll", "v4poll"]);
      event = freshEvent("r2-except-r1");
      await bc("v2ws", { to: ["r2"], except: ["r1"], event, args: BIN() });
      await expectDelivery(C, event, BIN(), ["v2poll"]);
    });

    it("a single sid: a 4.x client targets a 2.x one and vice versa", async () => {
      for (const [from, target] of [
        ["v4ws", "v2poll"],
        ["v2ws", "v4poll"],
        ["v4poll", "v2ws"],
      ]) {
        const event = freshEvent(`sid-${target}`);
        assert.equal(await C[from].ack("emit-to-sid", { sid: C[target].id, event, args: BIN() }), "done");
        await expectDelivery(C, event, BIN(), [target]);
      }
    });

    it("server-emit from outside any handler reaches both generations", async () => {
      const event = freshEvent("server");
      assert.equal(await C.v2ws.ack("server-emit", { event, args: BIN() }), "scheduled");
      await expectDelivery(C, event, BIN(), ["v2ws", "v4ws", "v2poll", "v4poll"]);
    });
  });

  it("call-room collects acks from 2.x and 4.x clients; a silent one of each kind times out", async () => {
    const [a, b, c, d, outsider] = await Promise.all([
      client(srv, "v2", WS),
      client(srv, "v4", WS),
      client(srv, "v2", POLL_V2),
      client(srv, "v4", POLL_V4),
      client(srv, "v2", WS),
    ]);
    const members = { a, b, c, d };
    for (const m of Object.values(members)) await m.ack("join", "mixed-call-room");
    const asked = new Map();
    for (const [n, m] of Object.entries({ a, b })) {
      m.s.on("question", (x, bin, cb) => {
        asked.set(n, [x, Buffer.isBuffer(bin) ? [...bin] : bin]);
        cb(m.kind, m.id, x * 2);
      });
    }
    c.s.on("question", (x) => asked.set("c", x)); // 2.x, never answers
    d.s.on("question", (x) => asked.set("d", x)); // 4.x, never answers
    outsider.s.on("question", () => asked.set("outsider", true));
    const t0 = Date.now();
    const res = await v2AckWithin(3000, a.s, "call-room", {
      room: "mixed-call-room",
      event: "question",
      args: [21, Buffer.from([1, 2])],
      timeoutMs: 300,
    });
    const elapsed = Date.now() - t0;
    const expected = Object.values(members)
      .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
      .map((m) =>
        m === c || m === d ? { sid: m.id, error: "timeout" } : { sid: m.id, ok: [m.kind, m.id, 42] },
      );
    assert.deepEqual(res, expected);
    assert.ok(elapsed >= 280, `call-room answered after ${elapsed} ms, before the timeout`);
    assert.deepEqual(asked.get("a"), [21, [1, 2]], "2.x member got the args, binary as a Buffer");
    assert.deepEqual(asked.get("b"), [21, [1, 2]], "4.x member got the args, binary as a Buffer");
    assert.equal(asked.get("c"), 21);
    assert.equal(asked.get("d"), 21);
    assert.equal(asked.has("outsider"), false, "a socket outside the room is not asked");

    // the same room, asked by a 4.x client, everyone answering
    c.s.off("question");
    d.s.off("question");
    for (const m of [c, d]) m.s.on("question", (x, _bin, cb) => cb(m.kind, m.id, x * 2));
    const res2 = await ackWithin(3000, b.s, "call-room", {
      room: "mixed-call-room",
      event: "question",
      args: [5, Buffer.from([0])],
      timeoutMs: 1000,
    });
    assert.deepEqual(
      res2,
      Object.values(members)
        .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
        .map((m) => ({ sid: m.id, ok: [m.kind, m.id, 10] })),
    );
    for (const m of [a, b, c, d, outsider]) m.s.disconnect();
  });

  it("call: binary args and replies for both generations", async () => {
    const [v2, v4] = await Promise.all([client(srv, "v2", POLL_V2), client(srv, "v4", WS)]);
    for (const m of [v2, v4]) {
      m.s.on("blob", (n, obj, cb) => cb({ data: Buffer.from([n, n + 1]) }, obj.b, m.kind));
    }
    for (const m of [v2, v4]) {
      const res = await m.ack("call", { event: "blob", args: [10, { b: Buffer.from("hi") }], timeoutMs: 1000 });
      assert.deepEqual(
        normalizeBin(res),
        normalizeBin({ ok: [{ data: Buffer.from([10, 11]) }, Buffer.from("hi"), m.kind] }),
        `${m.kind} reply`,
      );
      assert.ok(Buffer.isBuffer(res.ok[1]), `${m.kind}: binary reply relayed as a Buffer`);
    }
    v2.s.disconnect();
    v4.s.disconnect();
  });
});

// The legacy socket.io JavaScript client 2.x against `testapp`: the whole
// feature set seen from 2.x clients only.
// Proves: a 2.x client's `/` socket id is the server-side id (whoami,
// room-sockets, emit-to-sid all agree with socket.id); rooms and every
// broadcast operator (one room, several rooms, except, includeSelf
// true/false, everyone, a single sid, an emit from outside any handler)
// reach exactly the right 2.x clients, once, with binary args intact,
// over websocket and polling; acks both ways (client -> server with
// binary, concurrent acks; server -> client `call` with the 2.x client's
// reply, binary included, or {error: "timeout"} when it does not answer;
// `call-room` with one silent 2.x client); `message`/send and the
// catch-all; namespaces with the query as auth: `/admin` admits role=admin
// only (refusal "admins only" as an `error` event), `/` refuses token=bad
// with the refusal's data {code: 42}, an unknown namespace gets "Invalid
// namespace"; disconnect reasons on both sides (client disconnect ->
// "client namespace disconnect"; `disconnect-me` -> the client gets "io
// server disconnect" and the server logs "server namespace disconnect";
// disconnect-room); the Engine.IO v3 heartbeat (the client pings, the
// server pongs, a connection survives many intervals; a 2.x client that
// stops pinging is closed by the server after pingInterval + pingTimeout,
// reason "ping timeout", and leaves its rooms; at the packet level the
// server never pings a v3 client, pongs each of its pings, and drops a raw
// v3 client that never pings pingInterval + pingTimeout after the
// handshake); per-socket session state.

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
  v2AckWithin,
  v2Next,
  v2Recorder,
  v2StopPinging,
  normalizeBin,
} from "./harness-v2.mjs";

const ABSENCE_WAIT_MS = 150;
const WS = { transports: ["websocket"] };
const POLL = { transports: ["polling"] };
const PING_INTERVAL = 300; // testapp's defaults
const PING_TIMEOUT = 200;

let eventSeq = 0;
const freshEvent = (tag) => `v2-${tag}-${++eventSeq}`;

/**
 * Wait until every client in `yesNames` got `event` with `args`; after a short
 * bounded wait, each got it exactly once and nobody else got it at all.
 */
async function expectDelivery(clients, event, args, yesNames) {
  const yes = new Set(yesNames);
  for (const name of yes) {
    await clients[name].rec.waitFor(event, 1, 2000).catch((err) => {
      throw new Error(`${name} should have received "${event}": ${err.message}`);
    });
  }
  await sleep(ABSENCE_WAIT_MS);
  for (const [name, c] of Object.entries(clients)) {
    const got = c.rec.of(event);
    if (yes.has(name)) {
      assert.equal(got.length, 1, `${name} must receive "${event}" exactly once, got ${got.length}`);
      assert.deepEqual(normalizeBin(got[0]), normalizeBin(args), `${name}: args of "${event}"`);
    } else {
      assert.equal(got.length, 0, `${name} must NOT receive "${event}" (got ${got.length})`);
    }
  }
}

async function makeClients(srv, spec) {
  const clients = {};
  await Promise.all(
    Object.entries(spec).map(async ([name, opts]) => {
      const s = await v2Connect(srv, "/", opts);
      clients[name] = { s, rec: v2Recorder(s), name, id: s.id };
    }),
  );
  return clients;
}

describe("socket.io-client 2.x against testapp", () => {
  let srv;
  before(async () => {
    srv = await startServer("testapp");
  });
  after(async () => {
    await srv?.stop();
  });

  describe("ids and broadcast operators (A:r1, B:r1+r2, C:r2, D:none)", () => {
    let C;
    before(async () => {
      C = await makeClients(srv, { A: WS, B: POLL, C: WS, D: POLL });
      assert.deepEqual(await v2Ack(C.A.s, "join", "r1"), [C.A.id, "r1"].sort());
      assert.deepEqual(await v2Ack(C.B.s, "join", ["r1", "r2"]), [C.B.id, "r1", "r2"].sort());
      assert.deepEqual(await v2Ack(C.C.s, "join", "r2"), [C.C.id, "r2"].sort());
    });
    after(() => {
      for (const c of Object.values(C ?? {})) c.s.disconnect();
    });

    it("socket.id of / is the engine id and the server-side id (whoami, rooms, room-sockets)", async () => {
      for (const c of Object.values(C)) {
        assert.equal(c.s.id, c.s.io.engine.id, `${c.name}: socket.id is the engine id`);
        assert.equal(await v2Ack(c.s, "whoami"), c.s.id, `${c.name}: whoami is socket.id`);
      }
      assert.deepEqual(await v2Ack(C.D.s, "rooms"), [C.D.id]);
      assert.deepEqual(await v2Ack(C.D.s, "room-sockets", "r1"), [C.A.id, C.B.id].sort());
      assert.deepEqual(await v2Ack(C.D.s, "room-sockets", "r2"), [C.B.id, C.C.id].sort());
      assert.deepEqual(await v2Ack(C.A.s, "room-sockets", C.D.id), [C.D.id], "own-sid room");
    });

    const bc = async (from, opts) => {
      assert.equal(await v2Ack(C[from].s, "broadcast", opts), "done");
    };

    it("to one room, from outside it (binary args)", async () => {
      const event = freshEvent("r1");
      const args = [1, Buffer.from([1, 2]), { nested: Buffer.from("n") }];
      await bc("D", { to: ["r1"], event, args });
      await expectDelivery(C, event, args, ["A", "B"]);
    });

    it("to two rooms: a member of both receives once", async () => {
      const event = freshEvent("r1r2");
      await bc("D", { to: ["r1", "r2"], event, args: [{ k: "v" }] });
      await expectDelivery(C, event, [{ k: "v" }], ["A", "B", "C"]);
    });

    it("to a room the sender is in, includeSelf false (the default): sender excluded", async () => {
      const event = freshEvent("noself");
      await bc("A", { to: ["r1"], event, args: [] });
      await expectDelivery(C, event, [], ["B"]);
      const event2 = freshEvent("noself-explicit");
      await bc("B", { to: ["r2"], includeSelf: false, event: event2, args: ["d"] });
      await expectDelivery(C, event2, ["d"], ["C"]);
    });

    it("to a room the sender is in, includeSelf true: sender included", async () => {
      const event = freshEvent("self");
      await bc("A", { to: ["r1"], includeSelf: true, event, args: ["me too", Buffer.from([0])] });
      await expectDelivery(C, event, ["me too", Buffer.from([0])], ["A", "B"]);
    });

    it("everyone (no `to`), without and with the sender", async () => {
      const event = freshEvent("all");
      await bc("A", { event, args: [1, 2, 3] });
      await expectDelivery(C, event, [1, 2, 3], ["B", "C", "D"]);
      const event2 = freshEvent("all-self");
      await bc("C", { includeSelf: true, event: event2, args: [{ b: [Buffer.from([5])] }] });
      await expectDelivery(C, event2, [{ b: [Buffer.from([5])] }], ["A", "B", "C", "D"]);
    });

    it("everyone except a room; a room except another room", async () => {
      const event = freshEvent("except");
      await bc("D", { except: ["r2"], event, args: ["not r2"] });
      await expectDelivery(C, event, ["not r2"], ["A"]);
      const event2 = freshEvent("except-self");
      await bc("D", { except: ["r2"], includeSelf: true, event: event2, args: [] });
      await expectDelivery(C, event2, [], ["A", "D"]);
      const event3 = freshEvent("r1-except-r2");
      await bc("C", { to: ["r1"], except: ["r2"], event: event3, args: [true] });
      await expectDelivery(C, event3, [true], ["A"]);
    });

    it("to a single sid (a 2.x client's socket.id)", async () => {
      for (const [target, from] of [["D", "A"], ["B", "C"]]) {
        const event = freshEvent(`sid-${target}`);
        assert.equal(
          await v2Ack(C[from].s, "emit-to-sid", { sid: C[target].id, event, args: [target, Buffer.from([7])] }),
          "done",
        );
        await expectDelivery(C, event, [target, Buffer.from([7])], [target]);
      }
    });

    it("server-emit from outside any handler reaches every 2.x client", async () => {
      const event = freshEvent("server");
      assert.equal(await v2Ack(C.B.s, "server-emit", { event, args: ["srv", Buffer.from([1])] }), "scheduled");
      await expectDelivery(C, event, ["srv", Buffer.from([1])], ["A", "B", "C", "D"]);
    });

    it("leave / close-room: broadcasts no longer reach those who left", async () => {
      assert.deepEqual(await v2Ack(C.B.s, "leave", "r1"), [C.B.id, "r2"].sort());
      const event = freshEvent("after-leave");
      await bc("D", { to: ["r1"], event, args: [] });
      await expectDelivery(C, event, [], ["A"]);
      assert.equal(await v2Ack(C.D.s, "close-room", "r2"), "done");
      assert.deepEqual(await v2Ack(C.D.s, "room-sockets", "r2"), []);
      const event2 = freshEvent("closed");
      await bc("D", { to: ["r2"], event: event2, args: [] });
      await expectDelivery(C, event2, [], []);
      for (const c of Object.values(C)) assert.ok(c.s.connected, `${c.name} stays connected`);
    });
  });

  for (const [label, opts] of [
    ["websocket", WS],
    ["polling", POLL],
    ["polling, forceBase64", { ...POLL, forceBase64: true }],
  ]) {
    describe(`acks and binary over ${label}`, () => {
      let s;
      before(async () => {
        s = await v2Connect(srv, "/", opts);
      });
      after(() => s?.disconnect());

      it("echo acks the same args, binary top level and nested", async () => {
        const args = [1, "two", { three: Buffer.from([3]) }, [Buffer.from([4, 4])], null, Buffer.from([])];
        const reply = await v2AckAll(s, "echo", ...args);
        assert.deepEqual(normalizeBin(reply), normalizeBin(args));
        assert.ok(Buffer.isBuffer(reply[2].three), "nested binary comes back as a Buffer");
      });

      it("binary: the server's binary ack reaches the 2.x client", async () => {
        const reply = await v2Ack(s, "binary");
        assert.ok(Buffer.isBuffer(reply.nested.buf), "nested.buf is a Buffer");
        assert.ok(Buffer.isBuffer(reply.list[0]), "list[0] is a Buffer");
        assert.deepEqual(
          normalizeBin(reply),
          normalizeBin({ nested: { buf: Buffer.from([1, 2, 3]) }, list: [Buffer.from([4, 5]), "text"] }),
        );
      });

      it("40 concurrent acks are each matched to their own emit", async () => {
        const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => v2Ack(s, "echo", `req-${i}`)));
        assert.deepEqual(replies, Array.from({ length: 40 }, (_, i) => `req-${i}`));
      });

      it("call: the server awaits the 2.x client's ack; args and reply binary included", async () => {
        let received;
        s.on("inspect", (...args) => {
          const cb = args.pop();
          received = args;
          cb({ data: Buffer.from([args.length, 1]) }, "seen", Buffer.from("hi"));
        });
        s.on("add", (a, b, cb) => cb(a + b, "sum"));
        s.on("empty", (cb) => cb());
        try {
          assert.deepEqual(await v2Ack(s, "call", { event: "add", args: [2, 3], timeoutMs: 1000 }), { ok: [5, "sum"] });
          assert.deepEqual(await v2Ack(s, "call", { event: "empty", args: [], timeoutMs: 1000 }), { ok: [] });
          const args = ["a", { b: Buffer.from([1]) }, [2, Buffer.from([3, 4])]];
          const res = await v2Ack(s, "call", { event: "inspect", args, timeoutMs: 1000 });
          assert.deepEqual(normalizeBin(received), normalizeBin(args), "the client got the call's args");
          assert.ok(Buffer.isBuffer(received[1].b), "binary arg arrives as a Buffer");
          assert.deepEqual(
            normalizeBin(res),
            normalizeBin({ ok: [{ data: Buffer.from([3, 1]) }, "seen", Buffer.from("hi")] }),
          );
        } finally {
          s.off("inspect");
          s.off("add");
          s.off("empty");
        }
      });

      it("call: a 2.x client that never answers gives {error: 'timeout'}; later calls work", async () => {
        let called = false;
        s.on("silent", () => (called = true));
        s.on("fast", (cb) => cb("fast"));
        try {
          const t0 = Date.now();
          const res = await v2Ack(s, "call", { event: "silent", args: [1], timeoutMs: 200 });
          const elapsed = Date.now() - t0;
          assert.deepEqual(res, { error: "timeout" });
          assert.ok(called, "the client did receive the event");
          assert.ok(elapsed >= 180, `timeout reported after ${elapsed} ms, before timeoutMs`);
          assert.ok(elapsed < 1500, `timeout reported late: ${elapsed} ms`);
          assert.deepEqual(await v2Ack(s, "call", { event: "fast", args: [], timeoutMs: 1000 }), { ok: ["fast"] });
        } finally {
          s.off("silent");
          s.off("fast");
        }
      });

      it("send() is answered with a `message` event; unknown events hit the catch-all", async () => {
        const got = v2Next(s, "message", 2000);
        s.send("hello", { n: 1 }, Buffer.from([7]));
        assert.deepEqual(normalizeBin(await got), normalizeBin(["hello", { n: 1 }, Buffer.from([7])]));
        const unknown = v2Next(s, "unknown", 2000);
        s.emit("what-is-this", 1, { two: 2 });
        assert.deepEqual(await unknown, ["what-is-this", 1, { two: 2 }]);
      });
    });
  }

  it("call-room: 2.x clients in the room answer, the silent one times out; sorted by sid", async () => {
    const c = await makeClients(srv, { a: WS, b: POLL, c: WS, outsider: POLL });
    for (const n of ["a", "b", "c"]) await v2Ack(c[n].s, "join", "v2-call-room");
    const asked = new Map();
    for (const n of ["a", "b"]) {
      c[n].s.on("question", (x, cb) => {
        asked.set(n, x);
        cb(c[n].id, x * 2);
      });
    }
    c.c.s.on("question", (x) => asked.set("c", x)); // never answers
    c.outsider.s.on("question", () => asked.set("outsider", true));
    const t0 = Date.now();
    const res = await v2AckWithin(3000, c.a.s, "call-room", {
      room: "v2-call-room",
      event: "question",
      args: [21],
      timeoutMs: 300,
    });
    const elapsed = Date.now() - t0;
    const expected = [c.a.id, c.b.id, c.c.id]
      .sort()
      .map((sid) => (sid === c.c.id ? { sid, error: "timeout" } : { sid, ok: [sid, 42] }));
    assert.deepEqual(res, expected);
    assert.ok(elapsed >= 280, `call-room answered after ${elapsed} ms, before the timeout`);
    assert.equal(asked.get("c"), 21, "the silent socket was asked too");
    assert.equal(asked.has("outsider"), false, "a socket outside the room is not asked");
    for (const x of Object.values(c)) x.s.disconnect();
  });

  describe("namespaces, query auth and refusals", () => {
    for (const [label, opts] of [
      ["websocket", WS],
      ["polling", POLL],
    ]) {
      it(`/admin over ${label}: query role=admin connects; no role / another role is refused "admins only"`, async () => {
        const ok = await v2Connect(srv, "/admin", { ...opts, query: { role: "admin" } });
        assert.equal(await v2Ack(ok, "whoami"), "admin");
        for (const query of [undefined, { role: "user" }]) {
          const s = v2Socket(srv, "/admin", query ? { ...opts, query } : opts);
          let connected = false;
          s.on("connect", () => (connected = true));
          assert.equal(await v2Refused(s), "admins only", `refusal for query ${JSON.stringify(query)}`);
          await sleep(50);
          assert.equal(connected, false);
          assert.equal(s.connected, false);
          s.disconnect();
        }
        assert.equal(await v2Ack(ok, "whoami"), "admin", "the admitted socket is unaffected");
        ok.disconnect();
      });

      it(`/ over ${label}: token=bad in the query is refused with data {code: 42}; a good token connects`, async () => {
        const bad = v2Socket(srv, "/", { ...opts, query: { token: "bad" } });
        let connected = false;
        bad.on("connect", () => (connected = true));
        assert.deepEqual(await v2Refused(bad), { code: 42 });
        await sleep(50);
        assert.equal(connected, false);
        assert.equal(bad.connected, false);
        bad.disconnect();
        const good = await v2Connect(srv, "/", { ...opts, query: { token: "good" } });
        assert.equal(await v2Ack(good, "whoami"), good.id);
        good.disconnect();
      });
    }

    it("/ and /admin multiplexed over one engine; an unknown namespace gets \"Invalid namespace\"", async () => {
      const m = v2Manager(srv, { transports: ["websocket"], query: { role: "admin" } });
      const root = m.socket("/");
      const admin = m.socket("/admin", { query: { role: "admin" } });
      await Promise.all([v2Connected(root), v2Connected(admin)]);
      assert.equal(await v2Ack(admin, "whoami"), "admin");
      assert.equal(await v2Ack(root, "whoami"), root.id);
      const nope = m.socket("/does-not-exist");
      assert.equal(await v2Refused(nope), "Invalid namespace");
      assert.equal(await v2Ack(root, "whoami"), root.id, "/ unharmed");
      assert.equal(await v2Ack(admin, "whoami"), "admin", "/admin unharmed");
      root.disconnect();
      admin.disconnect();
      nope.disconnect();
    });
  });

  describe("disconnect reasons", () => {
    let observer;
    before(async () => {
      observer = await v2Connect(srv, "/", WS);
    });
    after(() => observer?.disconnect());

    for (const [label, opts] of [
      ["websocket", WS],
      ["polling", POLL],
    ]) {
      it(`client disconnect over ${label}: server reason "client namespace disconnect"`, async () => {
        const s = await v2Connect(srv, "/", opts);
        const sid = s.id;
        await v2Ack(s, "join", "v2-leaving");
        const reasons = [];
        s.on("disconnect", (r) => reasons.push(r));
        s.disconnect();
        assert.deepEqual(reasons, ["io client disconnect"]);
        const reason = await waitUntil(() => v2Ack(observer, "last-disconnect", sid), 2000, "server to log the disconnect");
        assert.equal(reason, "client namespace disconnect");
        assert.deepEqual(await v2Ack(observer, "room-sockets", "v2-leaving"), []);
      });

      it(`disconnect-me over ${label}: the client gets "io server disconnect"; server reason "server namespace disconnect"`, async () => {
        const s = await v2Connect(srv, "/", opts);
        const sid = s.id;
        const gone = v2Next(s, "disconnect", 2000);
        s.emit("disconnect-me");
        assert.deepEqual(await gone, ["io server disconnect"]);
        assert.equal(s.connected, false);
        const reason = await waitUntil(() => v2Ack(observer, "last-disconnect", sid), 2000, "server to log the disconnect");
        assert.equal(reason, "server namespace disconnect");
      });
    }

    it("disconnect-room: the 2.x members get \"io server disconnect\", the others stay", async () => {
      const c = await makeClients(srv, { a: WS, b: POLL, c: WS });
      await v2Ack(c.a.s, "join", "v2-kick");
      await v2Ack(c.b.s, "join", "v2-kick");
      const reasons = {};
      for (const [n, x] of Object.entries(c)) x.s.on("disconnect", (r) => (reasons[n] = r));
      assert.equal(await v2Ack(c.c.s, "disconnect-room", "v2-kick"), "done");
      await waitUntil(() => reasons.a && reasons.b, 2000, "a and b to be disconnected");
      assert.equal(reasons.a, "io server disconnect");
      assert.equal(reasons.b, "io server disconnect");
      await sleep(ABSENCE_WAIT_MS);
      assert.equal(reasons.c, undefined, "c stays connected");
      assert.equal(await v2Ack(c.c.s, "last-disconnect", c.a.id), "server namespace disconnect");
      assert.equal(await v2Ack(c.c.s, "last-disconnect", c.b.id), "server namespace disconnect");
      assert.equal(await v2Ack(c.c.s, "last-disconnect", c.c.id), null);
      c.c.s.disconnect();
    });
  });

  describe("heartbeat (Engine.IO v3: the client pings, the server pongs)", () => {
    for (const [label, opts] of [
      ["websocket", WS],
      ["polling", POLL],
    ]) {
      it(`over ${label}: pings are answered with pongs and the connection survives many intervals`, async () => {
        const s = await v2Connect(srv, "/", opts);
        assert.equal(s.io.engine.pingInterval, PING_INTERVAL, "handshake pingInterval");
        assert.equal(s.io.engine.pingTimeout, PING_TIMEOUT, "handshake pingTimeout");
        let pings = 0;
        let pongs = 0;
        s.io.engine.on("ping", () => pings++);
        s.io.engine.on("pong", () => pongs++);
        const disconnects = [];
        s.on("disconnect", (r) => disconnects.push(r));
        await sleep(5 * PING_INTERVAL);
        assert.ok(pings >= 3, `expected >= 3 client pings in ${5 * PING_INTERVAL} ms, got ${pings}`);
        assert.ok(pongs >= pings - 1, `every ping answered by a pong: ${pings} pings, ${pongs} pongs`);
        assert.deepEqual(disconnects, []);
        assert.equal(await v2Ack(s, "echo", "alive"), "alive");
        s.disconnect();
      });

      it(`over ${label}: a 2.x client that stops pinging is closed by the server ("ping timeout") `, async () => {
        const observer = await v2Connect(srv, "/", WS);
        const victim = await v2Connect(srv, "/", opts);
        const sid = victim.id;
        await v2Ack(victim, "join", "v2-hb-room");
        assert.deepEqual(await v2Ack(observer, "room-sockets", "v2-hb-room"), [sid]);
        // wait for one ping/pong exchange so the server's timer was just reset, then stop
        await v2Next(victim.io.engine, "pong", PING_INTERVAL + 700);
        const stopped = v2StopPinging(victim);
        const gone = v2Next(victim, "disconnect", PING_INTERVAL + PING_TIMEOUT + 1500);
        const [reason] = await gone;
        const elapsed = Date.now() - stopped.at;
        assert.ok(elapsed <= PING_INTERVAL + PING_TIMEOUT + 700, `closed late: ${elapsed} ms after the last ping`);
        // the server allows pingInterval + pingTimeout after the last ping
        assert.ok(
          elapsed >= PING_INTERVAL + PING_TIMEOUT - 100,
          `closed ${elapsed} ms after the last ping: too early (expected ~${PING_INTERVAL + PING_TIMEOUT} ms)`,
        );
        assert.ok(
          ["transport close", "transport error"].includes(reason),
          `the client sees the server closing the transport, got "${reason}"`,
        );
        assert.notEqual(reason, "ping timeout", "the client itself must not have timed out");
        const serverReason = await waitUntil(
          () => v2Ack(observer, "last-disconnect", sid),
          2000,
          "server to record a disconnect reason",
        );
        assert.equal(serverReason, "ping timeout");
        assert.deepEqual(await v2Ack(observer, "room-sockets", "v2-hb-room"), []);
        observer.disconnect();
      });
    }
  });

  describe("heartbeat at the packet level (raw EIO=3 websocket)", () => {
    it("the server never pings a v3 client and answers each of its pings with a pong", async () => {
      const ws = srv.rawWs("/socket.io/?EIO=3&transport=websocket");
      const open = await ws.handshake();
      assert.equal(open.pingInterval, PING_INTERVAL);
      assert.equal(open.pingTimeout, PING_TIMEOUT);
      assert.equal(await ws.next(2000, "the implicit CONNECT of /"), "40");
      for (let i = 0; i < 6; i++) {
        await sleep(PING_INTERVAL - 50);
        ws.send("2");
        const { msg } = await ws.nextWithTime(1000, `pong #${i + 1}`);
        assert.equal(msg, "3", `pong #${i + 1} expected, got ${JSON.stringify(msg)}`);
      }
      assert.equal(ws.pings, 0, "the server must not send pings (\"2\") to an Engine.IO v3 client");
      assert.equal(ws.closeInfo, null, "a client that pings stays connected");
      ws.send('420["whoami"]');
      const reply = await ws.next(1000, "the whoami ack");
      assert.match(reply, /^430\["[^"]+"\]$/);
      assert.equal(JSON.parse(reply.slice(3))[0], open.sid, "server-side id of / is the engine id");
      ws.close();
    });

    it("a raw v3 client that never pings is closed pingInterval + pingTimeout after the handshake", async () => {
      const ws = srv.rawWs("/socket.io/?EIO=3&transport=websocket");
      await ws.handshake();
      const t0 = ws.handshakeAt;
      const info = await ws.waitClose(PING_INTERVAL + PING_TIMEOUT + 1500, "the server to drop a v3 client that never pings");
      const elapsed = info.at - t0;
      assert.ok(elapsed >= PING_INTERVAL + PING_TIMEOUT - 60, `closed after ${elapsed} ms: too early`);
      assert.ok(elapsed <= PING_INTERVAL + PING_TIMEOUT + 700, `closed late: ${elapsed} ms`);
      assert.equal(ws.pings, 0, "no server ping in v3");
    });
  });

  it("session-count: per-socket state with 2.x clients", async () => {
    const a = await v2Connect(srv, "/", WS);
    const b = await v2Connect(srv, "/", POLL);
    assert.equal(await v2Ack(a, "session-count"), 1);
    assert.equal(await v2Ack(a, "session-count"), 2);
    assert.equal(await v2Ack(b, "session-count"), 1);
    assert.equal(await v2Ack(a, "session-count"), 3);
    assert.equal(await v2Ack(b, "session-count"), 2);
    a.disconnect();
    b.disconnect();
  });
});

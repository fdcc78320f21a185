// Rooms and every broadcast operator, with four clients at once on mixed
// transports (testapp). For each operator it proves both who receives the
// event (exactly once, with its args, binary included) and who does not:
// to one room, to several rooms (a socket in two of them gets it once), reserved names refused,
// except, includeSelf true/false, everyone, a single sid, an emit from a task
// outside any handler; and room management: listing (sorted, own sid
// included), room-sockets, join (string/array, idempotent), leave, leave-all,
// close-room, disconnect-room, and automatic leave on disconnect.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  ack,
  recorder,
  sleep,
  normalizeBinary,
} from "./harness.mjs";

const ABSENCE_WAIT_MS = 150;
const WS = { transports: ["websocket"] };
const POLL = { transports: ["polling"], upgrade: false };

let eventSeq = 0;
const freshEvent = (tag) => `ev-${tag}-${++eventSeq}`;

/**
 * Wait until every client in `yes` got `event` (args `args`) and, after a
 * short bounded wait, check each got it exactly once and that no client in
 * `no` got it at all.
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
      assert.deepEqual(normalizeBinary(got[0]), normalizeBinary(args), `${name}: args of "${event}"`);
    } else {
      assert.equal(got.length, 0, `${name} must NOT receive "${event}" (got ${got.length})`);
    }
  }
}

async function makeClients(srv, spec) {
  const clients = {};
  await Promise.all(
    Object.entries(spec).map(async ([name, opts]) => {
      const s = await srv.connect("/", opts);
      clients[name] = { s, rec: recorder(s), name, id: s.id }; // s.id is unset once disconnected
    }),
  );
  return clients;
}

// Once on the in-memory adapter, and once on an adapter written outside ferrio with its
// public API alone (`ferrio_tests::external_adapter`, `ADAPTER=external`).
for (const [adapter, env] of [
  ["the in-memory adapter", {}],
  ["an adapter of another crate", { ADAPTER: "external" }],
]) describe(`rooms and broadcast (testapp, ${adapter})`, () => {
  let srv;
  before(async () => {
    srv = await startServer("testapp", { env });
  });
  after(async () => {
    await srv?.stop();
  });

  describe("broadcast operators (A:r1, B:r1+r2, C:r2, D:none)", () => {
    let C4;
    before(async () => {
      C4 = await makeClients(srv, { A: WS, B: POLL, C: WS, D: POLL });
      await ack(C4.A.s, "join", "r1");
      await ack(C4.B.s, "join", ["r1", "r2"]);
      await ack(C4.C.s, "join", "r2");
      assert.deepEqual(await ack(C4.D.s, "room-sockets", "r1"), [C4.A.s.id, C4.B.s.id].sort());
      assert.deepEqual(await ack(C4.D.s, "room-sockets", "r2"), [C4.B.s.id, C4.C.s.id].sort());
    });
    after(() => {
      for (const c of Object.values(C4 ?? {})) c.s.disconnect();
    });

    const bc = async (from, opts) => {
      assert.equal(await ack(C4[from].s, "broadcast", opts), "done");
    };

    it("a reserved event name (disconnect, connect, ...) is refused and reaches no one", async () => {
      const disconnects = [];
      for (const c of Object.values(C4)) c.s.on("disconnect", (reason) => disconnects.push([c.name, reason]));
      for (const event of ["disconnect", "connect", "connect_error", "disconnecting"]) {
        assert.equal(await ack(C4.D.s, "broadcast", { event, includeSelf: true, args: ["x"] }), "failed", event);
        assert.equal(await ack(C4.D.s, "emit-to-sid", { sid: C4.A.s.id, event, args: ["x"] }), "failed", event);
      }
      await sleep(ABSENCE_WAIT_MS);
      for (const c of Object.values(C4)) {
        assert.deepEqual(c.rec.of("disconnect"), [], `${c.name} got no "disconnect" event`);
        assert.equal(c.s.connected, true, `${c.name} is still connected`);
      }
      assert.deepEqual(disconnects, [], "no client saw a disconnect");
    });

    it("to one room, from outside it", async () => {
      const event = freshEvent("r1");
      await bc("D", { to: ["r1"], event, args: [1, "x"] });
      await expectDelivery(C4, event, [1, "x"], ["A", "B"]);
    });

    it("to two rooms: a member of both receives once", async () => {
      const event = freshEvent("r1r2");
      await bc("D", { to: ["r1", "r2"], event, args: [{ k: "v" }] });
      await expectDelivery(C4, event, [{ k: "v" }], ["A", "B", "C"]);
    });

    it("to a room the sender is in, includeSelf false: sender excluded", async () => {
      const event = freshEvent("noself");
      await bc("A", { to: ["r1"], includeSelf: false, event, args: [] });
      await expectDelivery(C4, event, [], ["B"]);
    });

    it("includeSelf defaults to false", async () => {
      const event = freshEvent("default-noself");
      await bc("B", { to: ["r2"], event, args: ["d"] });
      await expectDelivery(C4, event, ["d"], ["C"]);
    });

    it("to a room the sender is in, includeSelf true: sender included", async () => {
      const event = freshEvent("self");
      await bc("A", { to: ["r1"], includeSelf: true, event, args: ["me too"] });
      await expectDelivery(C4, event, ["me too"], ["A", "B"]);
    });

    it("everyone (no `to`), without the sender", async () => {
      const event = freshEvent("all");
      await bc("A", { event, args: [1, 2, 3] });
      await expectDelivery(C4, event, [1, 2, 3], ["B", "C", "D"]);
    });

    it("everyone (no `to`), includeSelf true", async () => {
      const event = freshEvent("all-self");
      await bc("C", { includeSelf: true, event, args: ["all"] });
      await expectDelivery(C4, event, ["all"], ["A", "B", "C", "D"]);
    });

    it("everyone except a room", async () => {
      const event = freshEvent("except");
      await bc("D", { except: ["r2"], event, args: ["not r2"] });
      await expectDelivery(C4, event, ["not r2"], ["A"]);
    });

    it("everyone except a room, includeSelf true", async () => {
      const event = freshEvent("except-self");
      await bc("D", { except: ["r2"], includeSelf: true, event, args: [] });
      await expectDelivery(C4, event, [], ["A", "D"]);
    });

    it("to a room except another room", async () => {
      const event = freshEvent("to-except");
      await bc("C", { to: ["r1"], except: ["r2"], event, args: ["only A"] });
      await expectDelivery(C4, event, ["only A"], ["A"]);
    });

    it("except several rooms", async () => {
      const event = freshEvent("except-many");
      await bc("A", { except: ["r1", "r2"], includeSelf: true, event, args: [] });
      await expectDelivery(C4, event, [], ["D"]);
    });

    it("to an own-sid room: only that socket", async () => {
      const event = freshEvent("sid-room");
      await bc("A", { to: [C4.C.s.id], event, args: ["via room"] });
      await expectDelivery(C4, event, ["via room"], ["C"]);
    });

    it("to a room nobody is in: nobody receives", async () => {
      const event = freshEvent("empty");
      await bc("A", { to: ["no-such-room"], includeSelf: true, event, args: [] });
      await expectDelivery(C4, event, [], []);
    });

    it("binary args are broadcast to polling and websocket clients alike", async () => {
      const event = freshEvent("bin");
      const args = [Buffer.from([1, 2, 3]), { nested: [Buffer.from([4])] }, "t"];
      await bc("D", { to: ["r1", "r2"], event, args });
      await expectDelivery(C4, event, args, ["A", "B", "C"]);
      assert.ok(Buffer.isBuffer(C4.B.rec.of(event)[0][0]), "polling client gets a Buffer");
      assert.ok(Buffer.isBuffer(C4.A.rec.of(event)[0][0]), "websocket client gets a Buffer");
    });

    it("emit-to-sid reaches only that socket", async () => {
      const event = freshEvent("to-sid");
      assert.equal(await ack(C4.A.s, "emit-to-sid", { sid: C4.D.s.id, event, args: ["just you"] }), "done");
      await expectDelivery(C4, event, ["just you"], ["D"]);
    });

    it("emit-to-sid to oneself", async () => {
      const event = freshEvent("to-self");
      assert.equal(await ack(C4.B.s, "emit-to-sid", { sid: C4.B.s.id, event, args: [] }), "done");
      await expectDelivery(C4, event, [], ["B"]);
    });

    it("emit-to-sid with an unknown sid: nobody receives, no error", async () => {
      const event = freshEvent("to-nobody");
      assert.equal(await ack(C4.B.s, "emit-to-sid", { sid: "not-a-sid", event, args: [] }), "done");
      await expectDelivery(C4, event, [], []);
    });

    it("server-emit from a task outside any handler reaches every socket in /, sender included", async () => {
      const admin = await srv.connect("/admin", { auth: { role: "admin" }, transports: ["websocket"] });
      const adminRec = recorder(admin);
      const event = freshEvent("server");
      assert.equal(await ack(C4.C.s, "server-emit", { event, args: ["from the server", 9] }), "scheduled");
      await expectDelivery(C4, event, ["from the server", 9], ["A", "B", "C", "D"]);
      assert.equal(adminRec.of(event).length, 0, "a socket in /admin must not receive it");
      admin.disconnect();
    });

    it("broadcasts keep per-client order", async () => {
      const event = freshEvent("order");
      // sent back to back, acks awaited only at the end
      const acks = [];
      for (let i = 0; i < 20; i++) {
        acks.push(C4.D.s.timeout(3000).emitWithAck("broadcast", { to: ["r1"], event, args: [i] }));
      }
      assert.deepEqual(await Promise.all(acks), Array(20).fill("done"));
      for (const name of ["A", "B"]) {
        const got = await C4[name].rec.waitFor(event, 20, 3000);
        assert.deepEqual(got.map((a) => a[0]), Array.from({ length: 20 }, (_, i) => i), `${name} order`);
      }
      await sleep(ABSENCE_WAIT_MS);
      assert.equal(C4.C.rec.of(event).length, 0);
      assert.equal(C4.D.rec.of(event).length, 0);
    });
  });

  describe("room management", () => {
    it("join (string, array, twice) and rooms list sorted rooms including the own sid", async () => {
      const s = await srv.connect("/", WS);
      const me = s.id;
      assert.deepEqual(await ack(s, "rooms"), [me], "a fresh socket is only in its own sid room");
      assert.deepEqual(await ack(s, "join", "zeta"), [me, "zeta"].sort());
      assert.deepEqual(await ack(s, "join", ["alpha", "mid"]), [me, "zeta", "alpha", "mid"].sort());
      assert.deepEqual(await ack(s, "join", "alpha"), [me, "zeta", "alpha", "mid"].sort(), "joining twice is a no-op");
      assert.deepEqual(await ack(s, "rooms"), [me, "zeta", "alpha", "mid"].sort());
      assert.deepEqual(await ack(s, "room-sockets", "alpha"), [me]);
      assert.deepEqual(await ack(s, "room-sockets", me), [me], "own sid room holds just the socket");
      assert.deepEqual(await ack(s, "room-sockets", "never-joined"), []);
      s.disconnect();
    });

    it("room-sockets lists sorted sids of several members", async () => {
      const c = await makeClients(srv, { a: WS, b: POLL, c: WS, d: WS });
      for (const n of ["a", "b", "c"]) await ack(c[n].s, "join", "members");
      assert.deepEqual(
        await ack(c.d.s, "room-sockets", "members"),
        [c.a.s.id, c.b.s.id, c.c.s.id].sort(),
      );
      for (const x of Object.values(c)) x.s.disconnect();
    });

    it("leave: rooms shrink, room-sockets updates, broadcasts to the left room no longer arrive", async () => {
      const c = await makeClients(srv, { a: WS, b: POLL, sender: WS });
      await ack(c.a.s, "join", ["lv1", "lv2"]);
      await ack(c.b.s, "join", "lv1");
      assert.deepEqual(await ack(c.a.s, "leave", "lv1"), [c.a.s.id, "lv2"].sort());
      assert.deepEqual(await ack(c.a.s, "leave", "never-joined"), [c.a.s.id, "lv2"].sort(), "leaving a room one is not in is harmless");
      assert.deepEqual(await ack(c.sender.s, "room-sockets", "lv1"), [c.b.s.id]);
      const event = freshEvent("after-leave");
      assert.equal(await ack(c.sender.s, "broadcast", { to: ["lv1"], event, args: [] }), "done");
      await expectDelivery(c, event, [], ["b"]);
      const event2 = freshEvent("kept-room");
      await ack(c.sender.s, "broadcast", { to: ["lv2"], event: event2, args: [] });
      await expectDelivery(c, event2, [], ["a"]);
      for (const x of Object.values(c)) x.s.disconnect();
    });

    it("leave-all: no named room left, no more room broadcasts", async () => {
      const c = await makeClients(srv, { a: WS, b: WS, sender: POLL });
      await ack(c.a.s, "join", ["la1", "la2", "la3"]);
      await ack(c.b.s, "join", "la1");
      const left = await ack(c.a.s, "leave-all");
      assert.ok(Array.isArray(left), "leave-all acks an array");
      assert.deepEqual(
        left.filter((r) => r !== c.a.s.id),
        [],
        `no named room may remain after leave-all, got ${JSON.stringify(left)}`,
      );
      assert.deepEqual(left, [...left].sort(), "sorted");
      const rooms = await ack(c.a.s, "rooms");
      assert.deepEqual(rooms, left, "`rooms` agrees with the leave-all ack");
      for (const r of ["la1", "la2", "la3"]) {
        assert.ok(!(await ack(c.sender.s, "room-sockets", r)).includes(c.a.s.id), `still listed in ${r}`);
      }
      assert.deepEqual(await ack(c.sender.s, "room-sockets", "la1"), [c.b.s.id], "other members stay");
      const event = freshEvent("after-leave-all");
      await ack(c.sender.s, "broadcast", { to: ["la1", "la2", "la3"], event, args: [] });
      await expectDelivery(c, event, [], ["b"]);
      // still connected and usable
      assert.equal(await ack(c.a.s, "echo", "alive"), "alive");
      for (const x of Object.values(c)) x.s.disconnect();
    });

    it("close-room: every member leaves that room only; nobody gets broadcasts to it", async () => {
      const c = await makeClients(srv, { a: WS, b: POLL, c: WS, closer: WS });
      await ack(c.a.s, "join", ["doomed", "keep"]);
      await ack(c.b.s, "join", "doomed");
      await ack(c.c.s, "join", "keep");
      assert.equal(await ack(c.closer.s, "close-room", "doomed"), "done");
      assert.deepEqual(await ack(c.closer.s, "room-sockets", "doomed"), []);
      assert.deepEqual(await ack(c.a.s, "rooms"), [c.a.s.id, "keep"].sort());
      assert.deepEqual(await ack(c.b.s, "rooms"), [c.b.s.id]);
      assert.deepEqual(await ack(c.closer.s, "room-sockets", "keep"), [c.a.s.id, c.c.s.id].sort());
      const event = freshEvent("closed-room");
      await ack(c.closer.s, "broadcast", { to: ["doomed"], includeSelf: true, event, args: [] });
      await expectDelivery(c, event, [], []);
      for (const name of ["a", "b", "c"]) assert.ok(c[name].s.connected, `${name} stays connected`);
      for (const x of Object.values(c)) x.s.disconnect();
    });

    it("disconnect-room: members are disconnected by the server, others are not", async () => {
      const c = await makeClients(srv, { a: WS, b: POLL, c: WS, caller: WS });
      await ack(c.a.s, "join", "kick");
      await ack(c.b.s, "join", ["kick", "other"]);
      await ack(c.c.s, "join", "other");
      const reasons = {};
      for (const [name, x] of Object.entries(c)) x.s.on("disconnect", (r) => (reasons[name] = r));
      assert.equal(await ack(c.caller.s, "disconnect-room", "kick"), "done");
      const deadline = Date.now() + 2000;
      while ((!reasons.a || !reasons.b) && Date.now() < deadline) await sleep(20);
      assert.equal(reasons.a, "io server disconnect", "a disconnected by the server");
      assert.equal(reasons.b, "io server disconnect", "b disconnected by the server");
      await sleep(ABSENCE_WAIT_MS);
      assert.equal(reasons.c, undefined, "c must stay connected");
      assert.equal(reasons.caller, undefined, "caller must stay connected");
      assert.equal(await ack(c.c.s, "echo", "c ok"), "c ok");
      assert.deepEqual(await ack(c.caller.s, "room-sockets", "kick"), []);
      assert.deepEqual(await ack(c.caller.s, "room-sockets", "other"), [c.c.s.id], "b left its other rooms too");
      assert.equal(await ack(c.caller.s, "last-disconnect", c.a.id), "server namespace disconnect");
      assert.equal(await ack(c.caller.s, "last-disconnect", c.b.id), "server namespace disconnect");
      assert.equal(await ack(c.caller.s, "last-disconnect", c.c.id), null);
      c.c.s.disconnect();
      c.caller.s.disconnect();
    });

    it("a client that disconnects is removed from all its rooms", async () => {
      const c = await makeClients(srv, { a: POLL, b: WS });
      await ack(c.a.s, "join", ["gone1", "gone2"]);
      assert.deepEqual(await ack(c.b.s, "room-sockets", "gone1"), [c.a.s.id]);
      const sid = c.a.s.id;
      c.a.s.disconnect();
      const deadline = Date.now() + 2000;
      let list;
      do {
        list = await ack(c.b.s, "room-sockets", "gone1");
        if (list.length === 0) break;
        await sleep(20);
      } while (Date.now() < deadline);
      assert.deepEqual(list, [], `${sid} still listed in gone1 after disconnecting`);
      assert.deepEqual(await ack(c.b.s, "room-sockets", "gone2"), []);
      assert.deepEqual(await ack(c.b.s, "room-sockets", sid), [], "own sid room removed too");
      c.b.s.disconnect();
    });
  });
});

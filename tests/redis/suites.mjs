// Test suites shared by the *.test.mjs files, each run on a cluster of given member kinds
// (so the same checks run on ferrio+ferrio, ferrio+Node, and Node+Node as the control that
// shows what the Node adapter itself does), with the classic adapter (the default) or, with
// `{adapter: "streams"}`, the Redis Streams one (REDIS_ADAPTER=streams for every member).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startCluster,
  ack,
  ackWithin,
  sleep,
  waitUntil,
  expectDelivery,
  freshEvent,
  normalizeBinary,
  withTimeout,
  connected,
  ABSENCE_WAIT_MS,
} from "./harness.mjs";

const POLL = { transports: ["polling"], upgrade: false };

/** The node member's request timeout in the tests (the adapter's default is 5000 ms). */
export const NODE_REQUESTS_TIMEOUT_MS = 3000;
export const NODE_ENV = { REQUESTS_TIMEOUT_MS: NODE_REQUESTS_TIMEOUT_MS };

const title = (kinds, adapter = "classic") =>
  kinds.join(" + ") + (adapter === "classic" ? "" : ` (${adapter} adapter)`);

// ---------------------------------------------------------------------------
// broadcasts
// ---------------------------------------------------------------------------

/**
 * Broadcasts across two members A and B, sent by a client of `from` (0 = A, 1 = B).
 * Clients: a1 [r1, x#y], a2 [r1, r2], a3 [] (polling); b1 [r1, x#y], b2 [r2], b3 [] (polling).
 */
export function broadcastSuite(kinds, { adapter = "classic" } = {}) {
  describe(`broadcasts across ${title(kinds, adapter)}`, () => {
    let cluster;
    before(async () => {
      cluster = await startCluster(kinds, { env: { node: NODE_ENV }, adapter });
    });
    after(async () => {
      await cluster?.stop();
    });

    for (const from of [0, 1]) {
      const to = 1 - from;
      describe(`from a client of ${kinds[from]} (member ${from === 0 ? "A" : "B"}) to clients of ${kinds[to]}`, () => {
        let C; // clients by label
        let all;
        let sender; // a1 or b1
        let A, B; // members
        before(async () => {
          [A, B] = cluster.members;
          C = {};
          const spec = {
            a1: [A, {}, ["r1", "x#y"]],
            a2: [A, {}, ["r1", "r2"]],
            a3: [A, POLL, []],
            b1: [B, {}, ["r1", "x#y"]],
            b2: [B, {}, ["r2"]],
            b3: [B, POLL, []],
          };
          for (const [label, [member, opts, rooms]] of Object.entries(spec)) {
            C[label] = await member.client(label, opts);
            if (rooms.length) {
              const got = await ack(C[label].s, "join", rooms);
              assert.deepEqual(got, [...rooms, C[label].id].sort(), `${label} joined ${rooms}`);
            }
          }
          all = Object.values(C);
          sender = from === 0 ? C.a1 : C.b1;
        });
        after(() => {
          for (const c of all ?? []) c.s.disconnect();
        });

        const bc = async (event, req) => {
          const mark = cluster.bus.mark();
          assert.equal(await ack(sender.s, "broadcast", { event, ...req }), "done");
          return mark;
        };
        const pick = (...labels) => labels.map((l) => C[l]);
        const others = (...excluded) => all.filter((c) => !excluded.includes(c.label));

        it("to all (no room), includeSelf false: everyone but the sender, on both members", async () => {
          const event = freshEvent("all");
          const args = ["hello", 1];
          const mark = await bc(event, { args });
          await expectDelivery({ all, yes: others(sender.label), event, args, bus: cluster.bus, mark });
        });

        it("to all, includeSelf true: everyone including the sender", async () => {
          const event = freshEvent("all-self");
          const args = [{ k: "v" }];
          const mark = await bc(event, { includeSelf: true, args });
          await expectDelivery({ all, yes: all, event, args, bus: cluster.bus, mark });
        });

        it("to one room (r1), sender in it, includeSelf false: the other r1 members of both members", async () => {
          const event = freshEvent("r1");
          const args = ["r1 only"];
          const mark = await bc(event, { to: ["r1"], args });
          const yes = pick("a1", "a2", "b1").filter((c) => c !== sender);
          await expectDelivery({ all, yes, event, args, bus: cluster.bus, mark });
        });

        it("to one room (r1), includeSelf true: all r1 members, the sender too", async () => {
          const event = freshEvent("r1-self");
          const args = [];
          const mark = await bc(event, { to: ["r1"], includeSelf: true, args });
          await expectDelivery({ all, yes: pick("a1", "a2", "b1"), event, args, bus: cluster.bus, mark });
        });

        it("to a room the sender is not in (r2): its members on both members", async () => {
          const event = freshEvent("r2");
          const args = [2];
          const mark = await bc(event, { to: ["r2"], args });
          await expectDelivery({ all, yes: pick("a2", "b2"), event, args, bus: cluster.bus, mark });
        });

        it("to two rooms (r1, r2): their union, a socket in both gets it once", async () => {
          const event = freshEvent("r1r2");
          const args = ["union"];
          const mark = await bc(event, { to: ["r1", "r2"], includeSelf: true, args });
          await expectDelivery({ all, yes: pick("a1", "a2", "b1", "b2"), event, args, bus: cluster.bus, mark });
        });

        it("to everyone except a room (r2), includeSelf true", async () => {
          const event = freshEvent("ex-r2");
          const args = ["not r2"];
          const mark = await bc(event, { except: ["r2"], includeSelf: true, args });
          await expectDelivery({ all, yes: pick("a1", "a3", "b1", "b3"), event, args, bus: cluster.bus, mark });
        });

        it("to a room except another (r1 except r2), includeSelf true", async () => {
          const event = freshEvent("r1-ex-r2");
          const args = [true];
          const mark = await bc(event, { to: ["r1"], except: ["r2"], includeSelf: true, args });
          await expectDelivery({ all, yes: pick("a1", "b1"), event, args, bus: cluster.bus, mark });
        });

        it("except a socket id of the other member (socket ids are rooms on every member)", async () => {
          const event = freshEvent("ex-sid");
          const args = ["no b2 / a2"];
          const skip = from === 0 ? C.b2 : C.a2;
          const mark = await bc(event, { to: ["r2"], except: [skip.id], includeSelf: true, args });
          await expectDelivery({ all, yes: pick("a2", "b2").filter((c) => c !== skip), event, args, bus: cluster.bus, mark });
        });

        it("to a room whose name contains '#' (x#y)", async () => {
          const event = freshEvent("hash-room");
          const args = ["x#y"];
          const mark = await bc(event, { to: ["x#y"], includeSelf: true, args });
          await expectDelivery({ all, yes: pick("a1", "b1"), event, args, bus: cluster.bus, mark });
        });

        it("to a room nobody is in: nobody receives", async () => {
          const event = freshEvent("empty-room");
          const mark = await bc(event, { to: ["no-such-room"], includeSelf: true, args: [] });
          await expectDelivery({ all, yes: [], event, args: [], bus: cluster.bus, mark });
        });

        it("emit-to-sid: a socket id of the other member, only that socket receives", async () => {
          const target = from === 0 ? C.b3 : C.a3;
          const event = freshEvent("to-sid");
          const args = ["just you", { n: 1 }];
          const mark = cluster.bus.mark();
          assert.equal(await ack(sender.s, "emit-to-sid", { sid: target.id, event, args }), "done");
          await expectDelivery({ all, yes: [target], event, args, bus: cluster.bus, mark });
        });

        it("emit-to-sid: a socket id of the same member, delivered once (no echo duplicate)", async () => {
          const target = from === 0 ? C.a2 : C.b2;
          const event = freshEvent("to-own-sid");
          const args = ["local"];
          const mark = cluster.bus.mark();
          assert.equal(await ack(sender.s, "emit-to-sid", { sid: target.id, event, args }), "done");
          await expectDelivery({ all, yes: [target], event, args, bus: cluster.bus, mark });
        });

        it("binary args (top level, nested, in arrays) reach clients of both members, websocket and polling", async () => {
          const event = freshEvent("bin");
          const args = [
            Buffer.from([1, 2, 3]),
            { nested: { buf: Buffer.from([0xff, 0x00, 0x7b]) }, list: [Buffer.from([4, 5]), "text"] },
            "after",
            Buffer.alloc(0),
          ];
          const mark = await bc(event, { includeSelf: true, args });
          await expectDelivery({ all, yes: all, event, args, bus: cluster.bus, mark });
        });

        it("binary args to a socket id of the other member (emit-to-sid)", async () => {
          const target = from === 0 ? C.b1 : C.a1;
          const event = freshEvent("bin-sid");
          const args = [{ data: Buffer.from("héllo", "utf8") }];
          const mark = cluster.bus.mark();
          assert.equal(await ack(sender.s, "emit-to-sid", { sid: target.id, event, args }), "done");
          await expectDelivery({ all, yes: [target], event, args, bus: cluster.bus, mark });
        });

        it("value types survive MessagePack: ints, floats, negative, big, unicode, null, bool, nested, empty", async () => {
          const event = freshEvent("values");
          const args = [0, 1, -1, 2.5, -0.125, 2 ** 40, "é✓ 日本", null, false, { a: [1, "x", null, { b: {} }], c: [] }, ""];
          const mark = await bc(event, { to: ["r2"], includeSelf: true, args });
          await expectDelivery({ all, yes: pick("a2", "b2"), event, args, bus: cluster.bus, mark });
        });

        it("200 numbered broadcasts from one client arrive in order at a client of the other member", async () => {
          const event = freshEvent("seq");
          const receiver = from === 0 ? C.b1 : C.a1;
          const N = 200;
          const mark = cluster.bus.mark();
          const acks = [];
          for (let i = 0; i < N; i++) {
            acks.push(sender.s.timeout(10_000).emitWithAck("broadcast", { to: ["r1"], event, args: [i] }));
          }
          const results = await Promise.all(acks);
          assert.ok(results.every((r) => r === "done"), "every broadcast acked done");
          try {
            await receiver.rec.waitFor(event, N, 8000);
          } catch (err) {
            const got = receiver.rec.of(event).map((a) => a[0]);
            throw new Error(
              `${err.message}; received ${got.length}: ${JSON.stringify(got).slice(0, 400)}\n` +
                `Pub/Sub (last):\n${cluster.bus.describe(mark, { max: 5 })}`,
            );
          }
          await sleep(ABSENCE_WAIT_MS);
          const got = receiver.rec.of(event).map((a) => a[0]);
          assert.deepEqual(got, [...Array(N).keys()], "all 200, in order, exactly once");
          // and on the sender's own member too (local delivery keeps the order as well)
          const local = from === 0 ? C.a2 : null;
          if (local) {
            assert.deepEqual(local.rec.of(event).map((a) => a[0]), [...Array(N).keys()], "local receiver: in order");
          }
        });

        it("members are still alive", () => {
          for (const m of cluster.members) m.assertAlive();
        });
      });
    }
  });
}

// ---------------------------------------------------------------------------
// requests answered across servers
// ---------------------------------------------------------------------------

/** The sids that answered a call-room, whatever the member kind's ack format. */
function callRoomResult(kind, result) {
  if (kind === "node") {
    assert.ok(result && Array.isArray(result.responses), `node call-room result: ${JSON.stringify(result)}`);
    return { ids: [...result.responses].sort(), errors: result.error ? [result.error] : [] };
  }
  assert.ok(Array.isArray(result), `ferrio call-room result must be an array: ${JSON.stringify(result)}`);
  const ids = [];
  const errors = [];
  for (const entry of result) {
    if (entry && typeof entry === "object" && Array.isArray(entry.ok)) ids.push(entry.ok[0]);
    else if (entry && typeof entry === "object" && "error" in entry) errors.push(JSON.stringify(entry));
    else ids.push(entry);
  }
  return { ids: ids.sort(), errors };
}

/**
 * Requests across two members: room-sockets (fetchSockets / socket_ids), all-rooms
 * (allRooms / all_rooms), close-room, disconnect-room and call-room issued on one member,
 * acting on the other, in both directions.
 */
export function requestSuite(kinds, { adapter = "classic" } = {}) {
  describe(`requests across ${title(kinds, adapter)}`, () => {
    let cluster;
    before(async () => {
      cluster = await startCluster(kinds, { env: { node: NODE_ENV }, adapter });
    });
    after(async () => {
      await cluster?.stop();
    });
    const ACK_MS = NODE_REQUESTS_TIMEOUT_MS + 3000;
    const evidence = (mark) =>
      `\nPub/Sub traffic since the call:\n${cluster.bus.describe(mark)}`;

    for (const from of [0, 1]) {
      const to = 1 - from;
      describe(`issued on ${kinds[from]} (member ${from === 0 ? "A" : "B"}), acting on ${kinds[to]}`, () => {
        let X, Y; // X issues, Y is the other member
        before(() => {
          X = cluster.members[from];
          Y = cluster.members[to];
        });

        it(`room-sockets on ${kinds[from]} lists the sockets of ${kinds[to]} in the room (fetchSockets does not time out)`, async () => {
          const room = freshEvent("rs");
          const x1 = await X.client("x1");
          const y1 = await Y.client("y1");
          const y2 = await Y.client("y2");
          const xOut = await X.client("xOut");
          for (const c of [x1, y1, y2]) await ack(c.s, "join", room);
          const mark = cluster.bus.mark();
          const t0 = Date.now();
          const got = await ackWithin(ACK_MS, xOut.s, "room-sockets", room);
          const elapsed = Date.now() - t0;
          assert.deepEqual(got, [x1.id, y1.id, y2.id].sort(), `room-sockets ${room} (after ${elapsed} ms)${evidence(mark)}`);
          assert.ok(elapsed < NODE_REQUESTS_TIMEOUT_MS, `answered after ${elapsed} ms: waited for a timeout${evidence(mark)}`);
          for (const c of [x1, y1, y2, xOut]) c.s.disconnect();
        });

        it(`fetch-sockets on ${kinds[from]} describes the room's sockets of ${kinds[to]}, and their handles reach them`, async () => {
          const room = freshEvent("fs");
          const x1 = await X.client("x1", { auth: { name: "x1" } });
          const y1 = await Y.client("y1", { auth: { name: "y1" } });
          const y2 = await Y.client("y2", { auth: { name: "y2" }, transports: ["polling"], upgrade: false });
          const yOut = await Y.client("yOut");
          for (const c of [x1, y1, y2]) await ack(c.s, "join", [room, `${c.label}-own`]);
          // y2's data is set by an event handler; the others keep what their connect set.
          const y2Data = { member: y2.member.kind, score: 7, tags: ["a", { deep: [1, null] }] };
          assert.equal(await ack(y2.s, "set-data", y2Data), "done");
          const greet = freshEvent("greet");
          const greeted = new Map();
          for (const c of [x1, y1, y2, yOut]) c.s.on(greet, (id) => greeted.set(c.label, [...(greeted.get(c.label) ?? []), id]));
          const mark = cluster.bus.mark();
          const got = await ackWithin(ACK_MS, x1.s, "fetch-sockets", { room, greet });
          assert.ok(Array.isArray(got), `fetch-sockets answered ${JSON.stringify(got)}${evidence(mark)}`);
          for (const socket of got) {
            assert.match(socket.address, /^(::ffff:)?127\.0\.0\.1$/, `the address of ${socket.id}`);
            assert.ok(Math.abs(Date.now() - socket.issued) < 60_000, `${socket.id} was issued ${socket.issued}, just now`);
            delete socket.address;
            delete socket.issued;
          }
          const expected = [x1, y1, y2]
            .map((c) => ({
              id: c.id,
              rooms: [c.id, room, `${c.label}-own`].sort(),
              auth: { name: c.label },
              eio: "4",
              data: c === y2 ? y2Data : { member: c.member.kind },
              member: c.member.kind,
            }))
            .sort((a, b) => (a.id < b.id ? -1 : 1));
          assert.deepEqual(got, expected, `fetch-sockets ${room}${evidence(mark)}`);
          await waitUntil(() => greeted.size >= 3, 3000, "the fetched handles to greet x1, y1, y2").catch((err) => {
            throw new Error(`${err.message}; greeted: ${JSON.stringify([...greeted])}${evidence(mark)}`);
          });
          await sleep(ABSENCE_WAIT_MS);
          for (const c of [x1, y1, y2]) {
            assert.deepEqual(greeted.get(c.label), [c.id], `${c.label} is greeted once, with its own id`);
            await waitUntil(async () => (await ack(c.s, "rooms")).includes("greeted"), 2000, `${c.label} to join greeted`);
          }
          await sleep(ABSENCE_WAIT_MS);
          assert.equal(greeted.has("yOut"), false, "a socket outside the room is not greeted");
          for (const c of [x1, y1, y2, yOut]) c.s.disconnect();
        });

        it(`room-sockets on ${kinds[from]} of a socket id of ${kinds[to]} lists that socket`, async () => {
          const y1 = await Y.client("y1");
          const x1 = await X.client("x1");
          const mark = cluster.bus.mark();
          const got = await ackWithin(ACK_MS, x1.s, "room-sockets", y1.id);
          assert.deepEqual(got, [y1.id], `room-sockets <sid of ${Y.name}>${evidence(mark)}`);
          for (const c of [x1, y1]) c.s.disconnect();
        });

        // The streams protocol (socket.io-adapter's ClusterAdapter) has no ALL_ROOMS request,
        // and its Node adapter no allRooms.
        const allRoomsSkip = adapter === "streams" ? "no allRooms in the streams protocol" : false;
        it(`all-rooms on ${kinds[from]} includes the rooms (and socket ids) of ${kinds[to]} (allRooms does not time out)`, { skip: allRoomsSkip }, async () => {
          const room = freshEvent("ar");
          const y1 = await Y.client("y1");
          const x1 = await X.client("x1");
          await ack(y1.s, "join", [room, `${room}-2`]);
          const mark = cluster.bus.mark();
          const t0 = Date.now();
          const got = await ackWithin(ACK_MS, x1.s, "all-rooms");
          const elapsed = Date.now() - t0;
          assert.ok(Array.isArray(got), `all-rooms answered ${JSON.stringify(got)}${evidence(mark)}`);
          assert.ok(elapsed < NODE_REQUESTS_TIMEOUT_MS, `answered after ${elapsed} ms: waited for a timeout${evidence(mark)}`);
          for (const r of [room, `${room}-2`, y1.id, x1.id]) {
            assert.ok(got.includes(r), `all-rooms must include ${r}; got ${JSON.stringify(got)}${evidence(mark)}`);
          }
          for (const c of [x1, y1]) c.s.disconnect();
        });

        it(`close-room on ${kinds[from]} makes the sockets of ${kinds[to]} leave that room (only)`, async () => {
          const room = freshEvent("cr");
          const x1 = await X.client("x1");
          const y1 = await Y.client("y1");
          const y2 = await Y.client("y2");
          await ack(x1.s, "join", [room, "keep"]);
          await ack(y1.s, "join", [room, "keep"]);
          await ack(y2.s, "join", [room]);
          const mark = cluster.bus.mark();
          assert.equal(await ack(x1.s, "close-room", room), "done");
          for (const c of [x1, y1, y2]) {
            const expected = c === y2 ? [c.id] : [c.id, "keep"].sort();
            await waitUntil(
              async () => JSON.stringify(await ack(c.s, "rooms")) === JSON.stringify(expected),
              2000,
              `${c.label} on ${c.member.name} to have left ${room}`,
            ).catch(async (err) => {
              throw new Error(`${err.message}; its rooms: ${JSON.stringify(await ack(c.s, "rooms"))}${evidence(mark)}`);
            });
          }
          const event = freshEvent("after-close");
          await ack(x1.s, "broadcast", { to: [room], includeSelf: true, event, args: [] });
          await expectDelivery({ all: [x1, y1, y2], yes: [], event, args: [], bus: cluster.bus, mark });
          for (const c of [x1, y1, y2]) c.s.disconnect();
        });

        it(`disconnect-room on ${kinds[from]} disconnects the room's sockets of ${kinds[to]}, not the others`, async () => {
          const room = freshEvent("dr");
          const caller = await X.client("caller");
          const x1 = await X.client("x1");
          const y1 = await Y.client("y1");
          const y2 = await Y.client("y2");
          // y1's connection also carries /admin, which a plain disconnect (close: false) keeps.
          const y1Admin = await connected(y1.s.io.socket("/admin", { auth: { role: "admin" } }));
          const yOut = await Y.client("yOut");
          for (const c of [x1, y1, y2]) await ack(c.s, "join", room);
          const reasons = new Map();
          for (const c of [caller, x1, y1, y2, yOut]) c.s.on("disconnect", (reason) => reasons.set(c.label, reason));
          const mark = cluster.bus.mark();
          assert.equal(await ack(caller.s, "disconnect-room", room), "done");
          await waitUntil(
            () => ["x1", "y1", "y2"].every((l) => reasons.has(l)),
            3000,
            `x1, y1, y2 to be disconnected (so far: ${JSON.stringify([...reasons])})`,
          ).catch((err) => {
            throw new Error(`${err.message}; disconnected: ${JSON.stringify([...reasons])}${evidence(mark)}`);
          });
          for (const l of ["x1", "y1", "y2"]) assert.equal(reasons.get(l), "io server disconnect", `${l}'s disconnect reason`);

          await sleep(ABSENCE_WAIT_MS);
          assert.equal(y1Admin.connected, true, "y1's /admin stays connected (close: false)");
          assert.equal(reasons.has("caller"), false, "the caller (not in the room) stays connected");
          assert.equal(reasons.has("yOut"), false, "yOut (not in the room) stays connected");
          assert.equal(await ack(yOut.s, "whoami"), yOut.id, "yOut still answers");
          for (const c of [caller, yOut]) c.s.disconnect();
        });

        it(`close-connections on ${kinds[from]} closes the whole connections of the room's sockets of ${kinds[to]}`, async () => {
          const room = freshEvent("cc");
          const caller = await X.client("caller");
          const y1 = await Y.client("y1");
          // y1's connection also carries /admin: closing the connection ends that one too.
          const y1Admin = await connected(y1.s.io.socket("/admin", { auth: { role: "admin" } }));
          const yOut = await Y.client("yOut");
          await ack(y1.s, "join", room);
          const reason = new Promise((resolve) => y1.s.on("disconnect", resolve));
          const adminReason = new Promise((resolve) => y1Admin.on("disconnect", resolve));
          const mark = cluster.bus.mark();
          assert.equal(await ack(caller.s, "close-connections", room), "done");
          assert.equal(await withTimeout(reason, 3000, `y1 to be disconnected${evidence(mark)}`), "io server disconnect");
          assert.equal(
            await withTimeout(adminReason, 3000, `y1's /admin to go with its connection (close: true)${evidence(mark)}`),
            "io server disconnect",
          );
          assert.equal(yOut.s.connected, true, "yOut (not in the room) stays connected");
          for (const c of [caller, yOut]) c.s.disconnect();
        });

        it(`call-room on ${kinds[from]} collects the acks of the room's clients of ${kinds[to]} (and its own)`, async () => {
          const room = freshEvent("call");
          const caller = await X.client("caller");
          const x1 = await X.client("x1");
          const y1 = await Y.client("y1");
          const y2 = await Y.client("y2", POLL);
          const yOut = await Y.client("yOut");
          for (const c of [x1, y1, y2]) await ack(c.s, "join", room);
          const asked = new Map();
          for (const c of [caller, x1, y1, y2, yOut]) {
            c.s.on("question", (n, cb) => {
              asked.set(c.label, n);
              cb(c.id);
            });
          }
          const mark = cluster.bus.mark();
          const t0 = Date.now();
          const result = await ackWithin(5000, caller.s, "call-room", { room, event: "question", args: [7], timeoutMs: 1500 });
          const elapsed = Date.now() - t0;
          const { ids, errors } = callRoomResult(X.kind, result);
          assert.deepEqual(
            ids,
            [x1.id, y1.id, y2.id].sort(),
            `call-room answers (after ${elapsed} ms): ${JSON.stringify(result)}${evidence(mark)}`,
          );
          assert.deepEqual(errors, [], `no error: ${JSON.stringify(result)}${evidence(mark)}`);
          assert.equal(asked.has("yOut"), false, "a socket outside the room is not asked");
          assert.equal(asked.has("caller"), false, "the caller (outside the room) is not asked");
          assert.equal(asked.get("y1"), 7, "y1 got the argument");
          for (const c of [caller, x1, y1, y2, yOut]) c.s.disconnect();
        });

        it(`call-room on ${kinds[from]} with binary args and a binary answer from ${kinds[to]}`, async () => {
          const room = freshEvent("call-bin");
          const caller = await X.client("caller");
          const y1 = await Y.client("y1");
          await ack(y1.s, "join", room);
          let got;
          y1.s.on("bin-question", (arg, cb) => {
            got = arg;
            cb({ from: y1.id, buf: Buffer.from([9, 8, 7]) });
          });
          const mark = cluster.bus.mark();
          const result = await ackWithin(5000, caller.s, "call-room", {
            room,
            event: "bin-question",
            args: [{ buf: Buffer.from([1, 2]) }],
            timeoutMs: 1500,
          });
          assert.deepEqual(normalizeBinary(got), normalizeBinary({ buf: Buffer.from([1, 2]) }), `y1 got the binary arg${evidence(mark)}`);
          let answers;
          if (X.kind === "node") {
            answers = result?.responses;
            assert.equal(result?.error, null, `no error: ${JSON.stringify(result)}${evidence(mark)}`);
          } else {
            answers = Array.isArray(result) ? result.map((e) => (e && Array.isArray(e.ok) ? e.ok[0] : e)) : result;
          }
          assert.deepEqual(
            normalizeBinary(answers),
            normalizeBinary([{ from: y1.id, buf: Buffer.from([9, 8, 7]) }]),
            `the binary answer travels back: ${JSON.stringify(normalizeBinary(result))}${evidence(mark)}`,
          );
          for (const c of [caller, y1]) c.s.disconnect();
        });
      });
    }

    it("members are still alive", () => {
      for (const m of cluster.members) m.assertAlive();
    });
  });
}

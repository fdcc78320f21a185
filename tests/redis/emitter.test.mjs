// @socket.io/redis-emitter 5.1.0 (on its own Redis client) reaches the clients of ferrio
// members: emit to all, to a room, to several rooms, except, to a socket id, binary, Date;
// and its socketsJoin / socketsLeave / disconnectSockets requests (JSON without uid) act on
// ferrio sockets. A Node member in the same cluster is the control.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Emitter } from "@socket.io/redis-emitter";
import {
  startCluster,
  redisClient,
  ack,
  waitUntil,
  sleep,
  expectDelivery,
  freshEvent,
  ABSENCE_WAIT_MS,
} from "./harness.mjs";
import { NODE_ENV } from "./suites.mjs";

describe("@socket.io/redis-emitter → ferrio + ferrio + node", () => {
  let cluster, emitterClient, emitter;
  let C, all;
  before(async () => {
    cluster = await startCluster(["ferrio", "ferrio", "node"], { env: { node: NODE_ENV } });
    emitterClient = redisClient(cluster.redis.url);
    await emitterClient.connect();
    emitter = new Emitter(emitterClient);
    const [F1, F2, N] = cluster.members;
    const spec = {
      f1a: [F1, ["r1"]],
      f1b: [F1, []],
      f2a: [F2, ["r1", "r2"]],
      f2b: [F2, ["r2"]],
      n1: [N, ["r1"]],
      n2: [N, []],
    };
    C = {};
    for (const [label, [member, rooms]] of Object.entries(spec)) {
      C[label] = await member.client(label, label === "f1b" ? { transports: ["polling"], upgrade: false } : {});
      if (rooms.length) await ack(C[label].s, "join", rooms);
    }
    all = Object.values(C);
  });
  after(async () => {
    try {
      await emitterClient?.disconnect();
    } catch {
      /* ignore */
    }
    await cluster?.stop();
  });
  const pick = (...labels) => labels.map((l) => C[l]);

  it("emitter.emit(ev, ...args): every client of every member", async () => {
    const event = freshEvent("em-all");
    const args = ["to all", 42];
    const mark = cluster.bus.mark();
    emitter.emit(event, ...args);
    await expectDelivery({ all, yes: all, event, args, bus: cluster.bus, mark });
  });

  it("emitter.to(room).emit: the room's clients on every member", async () => {
    const event = freshEvent("em-r1");
    const args = [{ room: "r1" }];
    const mark = cluster.bus.mark();
    emitter.to("r1").emit(event, ...args);
    await expectDelivery({ all, yes: pick("f1a", "f2a", "n1"), event, args, bus: cluster.bus, mark });
  });

  it("emitter.to([r1, r2]).emit: the union, once each", async () => {
    const event = freshEvent("em-r1r2");
    const args = ["union"];
    const mark = cluster.bus.mark();
    emitter.to(["r1", "r2"]).emit(event, ...args);
    await expectDelivery({ all, yes: pick("f1a", "f2a", "f2b", "n1"), event, args, bus: cluster.bus, mark });
  });

  it("emitter.except(room).emit: everyone outside the room", async () => {
    const event = freshEvent("em-ex");
    const args = [];
    const mark = cluster.bus.mark();
    emitter.except("r1").emit(event, ...args);
    await expectDelivery({ all, yes: pick("f1b", "f2b", "n2"), event, args, bus: cluster.bus, mark });
  });

  it("emitter.to(socket id of a ferrio client).emit: only that socket", async () => {
    const event = freshEvent("em-sid");
    const args = ["only f2b"];
    const mark = cluster.bus.mark();
    emitter.to(C.f2b.id).emit(event, ...args);
    await expectDelivery({ all, yes: [C.f2b], event, args, bus: cluster.bus, mark });
  });

  it("emitter binary args to a room (websocket and polling clients)", async () => {
    const event = freshEvent("em-bin");
    const args = [{ a: 1, buf: Buffer.from([1, 2, 3]) }, Buffer.from([0xde, 0xad]), [Buffer.from("x")]];
    const mark = cluster.bus.mark();
    emitter.emit(event, ...args);
    await expectDelivery({ all, yes: all, event, args, bus: cluster.bus, mark });
  });

  it("emitter.to(room).emit with binary", async () => {
    const event = freshEvent("em-bin-room");
    const args = [Buffer.from([7, 7, 7])];
    const mark = cluster.bus.mark();
    emitter.to("r2").emit(event, ...args);
    await expectDelivery({ all, yes: pick("f2a", "f2b"), event, args, bus: cluster.bus, mark });
  });

  it("emitter Date arg (MessagePack timestamp ext) arrives as the ISO string", async () => {
    const event = freshEvent("em-date");
    const mark = cluster.bus.mark();
    emitter.emit(event, new Date(0), { at: new Date(1700000000123) });
    await expectDelivery({
      all,
      yes: all,
      event,
      args: ["1970-01-01T00:00:00.000Z", { at: "2023-11-14T22:13:20.123Z" }],
      bus: cluster.bus,
      mark,
    });
  });

  const roomsOf = async (c) => ack(c.s, "rooms");

  it("emitter.in(r1).socketsJoin(joined): ferrio sockets in r1 join (REMOTE_JOIN without uid)", async () => {
    const room = freshEvent("joined");
    const mark = cluster.bus.mark();
    emitter.in("r1").socketsJoin(room);
    for (const c of pick("f1a", "f2a", "n1")) {
      await waitUntil(async () => (await roomsOf(c)).includes(room), 2000, `${c.label} to join ${room}`).catch(
        async (err) => {
          throw new Error(`${err.message}; rooms ${JSON.stringify(await roomsOf(c))}\n${cluster.bus.describe(mark)}`);
        },
      );
    }
    await sleep(ABSENCE_WAIT_MS);
    for (const c of pick("f1b", "f2b", "n2")) {
      assert.equal((await roomsOf(c)).includes(room), false, `${c.label} must not join ${room}`);
    }
  });

  it("emitter.in(r2).socketsLeave(r2): ferrio sockets leave r2 (REMOTE_LEAVE)", async () => {
    const mark = cluster.bus.mark();
    emitter.in("r2").socketsLeave("r2");
    for (const c of pick("f2a", "f2b")) {
      await waitUntil(async () => !(await roomsOf(c)).includes("r2"), 2000, `${c.label} to leave r2`).catch(
        async (err) => {
          throw new Error(`${err.message}; rooms ${JSON.stringify(await roomsOf(c))}\n${cluster.bus.describe(mark)}`);
        },
      );
    }
    assert.ok((await roomsOf(C.f2a)).includes("r1"), "f2a stays in r1");
  });

  it("emitter.in([socket ids]).disconnectSockets(true): those sockets only, ferrio's and Node's (REMOTE_DISCONNECT)", async () => {
    const targets = [C.f1a, C.n1];
    const reasons = new Map();
    for (const c of all) c.s.on("disconnect", (r) => reasons.set(c.label, r));
    const mark = cluster.bus.mark();
    emitter.in(targets.map((c) => c.id)).disconnectSockets(true);
    for (const target of targets) {
      await waitUntil(() => reasons.has(target.label), 2000, `${target.label} to be disconnected`).catch((err) => {
        throw new Error(`${err.message}\n${cluster.bus.describe(mark)}`);
      });
    }
    await sleep(ABSENCE_WAIT_MS);
    assert.deepEqual(
      Object.fromEntries(reasons),
      { f1a: "io server disconnect", n1: "io server disconnect" },
      "exactly the targets are disconnected, each told by the server (DISCONNECT packet before the close)",
    );
  });

  it("members are still alive", () => {
    for (const m of cluster.members) m.assertAlive();
  });
});

// Connection state recovery across a cluster on the Redis Streams adapter (REDIS_ADAPTER=streams,
// RECOVERY_MS on every member): Node's @socket.io/redis-streams-adapter 0.3.1 and ferrio's
// wire-compatible one, with the real socket.io-client 4.8. For each pair [A, B] (node-node,
// the control; ferrio-ferrio; ferrio-node; node-ferrio):
//
// - wire: a broadcast from a client of each member is one entry of the stream `socket.io` with
//   the fields uid, nsp, type, data in that order, type "3", data JSON (base64 MessagePack when
//   it holds binary) {packet: {type: 2, data: [...]}, opts: {rooms, except, flags}} of the same
//   shape whoever wrote it, uid that of the writer's response channel `socket.io#/#<uid>#`; a
//   socket that loses its connection leaves `sio:session:<pid>` = base64(MessagePack({sid, pid,
//   rooms, data})) with a TTL of at most RECOVERY_MS.
// - a client of A that loses its transport while a peer on B emits (room, namespace, by id,
//   binary; and an other room and `except: ["team"]`, which must not reach it) reconnects to B:
//   same id, socket.recovered, its rooms and data on B, the missed events in order, once,
//   each with an offset `<ms>-<seq>` that is the id of its stream entry, then new ones.
// - twice in a row, A → B → A; a direct emit of a task on A holding the socket reaches it on B;
//   a client back after the window gets a fresh socket; a Redis restart while it is away (the
//   session is gone) gives it a fresh socket, and the members keep working.
//
// The client goes away by `socket.io.engine.close()` with its Manager's `uri` pointed at the
// other member: socket.io-client's Manager opens every new engine on `this.uri`.

import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import {
  startCluster,
  clusterUp,
  Bus,
  io,
  ack,
  sleep,
  waitUntil,
  withTimeout,
  recorder,
  freshEvent,
  ABSENCE_WAIT_MS,
  evidence,
  evidenceMark,
  decodeStreamData,
  compareOffsets,
  normalizeBinary,
  STREAM,
  SESSION_PREFIX,
} from "./harness.mjs";

const KINDS = [
  ["node", "node"],
  ["ferrio", "ferrio"],
  ["ferrio", "node"],
  ["node", "ferrio"],
];
/** The recovery window of every member; short, so that "after the window" is quick. */
const RECOVERY_MS = 1500;
/** How long a client stays away in the recovery tests (its reconnection delay). */
const AWAY_MS = 500;
/** How long a client stays away when it must come back too late. */
const LATE_MS = RECOVERY_MS + 600;
const OFFSET_RE = /^\d+-\d+$/;
const FIELDS = ["uid", "nsp", "type", "data"];

const RECONNECT = {
  reconnection: true,
  reconnectionDelay: 50,
  reconnectionDelayMax: 100,
  randomizationFactor: 0,
};

/** Resolves on the next `event` of `socket`, or rejects after `ms` naming `what`. */
function once(socket, event, ms, what) {
  let handler;
  return withTimeout(
    new Promise((resolve) => {
      handler = (...args) => resolve(args);
      socket.once(event, handler);
    }),
    ms,
    what,
  ).finally(() => socket.off(event, handler));
}

/** An event's arguments without the offset recovery appends, checked to be one. */
function withoutOffset(args) {
  const offset = args.at(-1);
  assert.equal(typeof offset, "string", `the last argument is the offset: ${JSON.stringify(normalizeBinary(args))}`);
  assert.match(offset, OFFSET_RE, `the offset is a stream entry id: ${JSON.stringify(offset)}`);
  return args.slice(0, -1);
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (text) => text.replace(/\x1b\[[0-9;]*m/g, "");

const showArg = (arg) =>
  Buffer.isBuffer(arg) || arg instanceof ArrayBuffer || ArrayBuffer.isView(arg)
    ? `<binary ${Buffer.from(arg).toString("hex")}>`
    : arg;

describe("connection state recovery across a Redis Streams cluster", () => {
  for (const kinds of KINDS) {
    const [kindA, kindB] = kinds;
    describe(`${kindA} (A) → ${kindB} (B), RECOVERY_MS=${RECOVERY_MS}`, () => {
      let cluster, A, B;
      /** Sockets made by the tests, closed after each. */
      const sockets = new Set();

      before(async () => {
        cluster = await startCluster(kinds, { adapter: "streams", common: { RECOVERY_MS } });
        [A, B] = cluster.members;
        assert.ok(
          cluster.serverCountReached,
          `both members subscribed to socket.io#/# (PUBSUB NUMSUB ${await cluster.redis.numsub("socket.io#/#")})`,
        );
      });
      after(async () => {
        await cluster?.stop();
      });
      afterEach(() => {
        for (const s of sockets) {
          try {
            s.disconnect();
            s.io._close?.();
          } catch {
            /* ignore */
          }
        }
        sockets.clear();
      });

      /** A client of `member` (websocket), reconnecting quickly unless told otherwise. */
      async function client(member, label, opts = {}) {
        const socket = io(member.url, { forceNew: true, timeout: 5000, transports: ["websocket"], ...RECONNECT, ...opts });
        sockets.add(socket);
        await once(socket, "connect", 5000, `${label} to connect to ${member.name}`);
        return { s: socket, socket, id: socket.id, sid: socket.id, rec: recorder(socket), label, member };
      }

      /** Where the client's current engine is connected. */
      const memberOf = (target) => cluster.members.find((m) => String(m.port) === String(target.socket.io.engine?.port));

      /** Joins `team`, sets data. */
      async function prepare(target) {
        await ack(target.socket, "join", "team");
        assert.equal(await ack(target.socket, "set-data", { name: "ada", score: 3 }), "done");
      }

      /** Gives the client an offset: an event reaches it (from `peer`), so that it can come back. */
      async function warmUp(peer, target) {
        const event = freshEvent("warm-up");
        await ack(peer.socket, "emit-to-sid", { sid: target.socket.id, event, args: [] });
        const [args] = await target.rec.waitFor(event, 1, 3000);
        withoutOffset(args);
      }

      /**
       * The client loses its transport and comes back `awayMs` later to `to`; `meanwhile` runs
       * while it is away, and must be done before it is back.
       */
      async function awayAndBack(target, to, { awayMs = AWAY_MS, meanwhile = async () => {} } = {}) {
        const manager = target.socket.io;
        manager.reconnectionDelay(awayMs).reconnectionDelayMax(awayMs);
        manager.uri = to.url;
        const gone = once(target.socket, "disconnect", 3000, "the client to see its disconnection");
        const back = once(target.socket, "connect", awayMs + 6000, `the client to reconnect to ${to.name}`);
        manager.engine.close();
        await gone;
        await meanwhile();
        const stillAway = !target.socket.connected;
        await back;
        manager.reconnectionDelay(RECONNECT.reconnectionDelay).reconnectionDelayMax(RECONNECT.reconnectionDelayMax);
        assert.ok(stillAway, `the client came back before what had to happen while it was away was done (raise AWAY_MS)`);
        assert.equal(memberOf(target), to, `the client is connected to ${to.name} now`);
      }

      /** Emits, from `peer`, what must reach the team member `sid` while it is away, and what must not. */
      async function emitMissed(peer, sid, event, tag) {
        await ack(peer.socket, "broadcast", { to: ["team"], event, args: [`${tag}-room`] });
        await ack(peer.socket, "broadcast", { event, args: [`${tag}-all`] });
        await ack(peer.socket, "emit-to-sid", { sid, event, args: [`${tag}-sid`] });
        await ack(peer.socket, "broadcast", { to: ["team"], event, args: [`${tag}-binary`, Buffer.from([1, 2, 3])] });
        // Not for the target: another room, and everyone but the team.
        await ack(peer.socket, "broadcast", { to: ["elsewhere"], event, args: [`${tag}-other`] });
        await ack(peer.socket, "broadcast", { except: ["team"], event, args: [`${tag}-except`] });
      }

      const MISSED = (tag) => [[`${tag}-room`], [`${tag}-all`], [`${tag}-sid`], [`${tag}-binary`, "<binary 010203>"]];

      /** The `event`s a client received: [{args (offset stripped, binary shown), offset}]. */
      function received(target, event) {
        return target.rec.of(event).map((args) => ({ args: withoutOffset(args).map(showArg), offset: args.at(-1) }));
      }

      /**
       * The offsets of the replayed events are the ids of their stream entries (type "3", the
       * event in packet.data), increasing.
       */
      async function assertOffsetsAreEntries(got, event) {
        const entries = await cluster.redis.xrange(STREAM);
        const byId = new Map(entries.map((e) => [e.id, e]));
        let previous = null;
        for (const { args, offset } of got) {
          const entry = byId.get(offset);
          assert.ok(entry, `the offset ${offset} of ${JSON.stringify(args)} is the id of a stream entry`);
          assert.equal(entry.message.type, "3", `entry ${offset} is a broadcast`);
          const data = decodeStreamData(entry.message.data).value;
          assert.equal(data?.packet?.data?.[0], event, `entry ${offset} holds the event ${event}`);
          if (previous) assert.ok(compareOffsets(previous, offset) < 0, `offsets increase: ${previous} then ${offset}`);
          previous = offset;
        }
      }

      /** Runs `fn`; a failure gets the Pub/Sub and stream traffic since `mark`, the sessions and the members' output. */
      async function withEvidence(mark, fn) {
        try {
          return await fn();
        } catch (err) {
          let sessions;
          try {
            sessions = JSON.stringify(normalizeBinary(await cluster.redis.sessions()));
          } catch (e) {
            sessions = `(${e.message})`;
          }
          err.message +=
            `${await evidence(cluster, mark)}\nsessions (${SESSION_PREFIX}*): ${sessions}\n` +
            cluster.members.map((m) => `${m.describe()}\n${m.name} stdout (tail):\n${stripAnsi(m.stdout).slice(-2500)}`).join("\n");
          throw err;
        }
      }

      /** Checks that `target` came back as `sid` with its rooms and data, told by both sides. */
      async function assertRecovered(target, sid, connects) {
        assert.equal(target.socket.recovered, true, "the client sees socket.recovered");
        assert.equal(target.socket.id, sid, "the same socket id");
        const state = await ack(target.socket, "state");
        assert.equal(state.sid, sid, `state: ${JSON.stringify(state)}`);
        assert.equal(state.recovered, true, `the member sees the socket recovered: ${JSON.stringify(state)}`);
        assert.deepEqual(state.rooms, [sid, "team"].sort(), "its rooms");
        assert.deepEqual(state.data, { name: "ada", score: 3 }, "its data");
        assert.deepEqual(state.connects, connects, "what the member's connect handler saw for this id");
      }

      /** Checks that `target` got a fresh socket on `member`, not `oldSid`. */
      async function assertFresh(target, oldSid, member) {
        assert.equal(target.socket.recovered, false, "the client sees a fresh socket (socket.recovered false)");
        assert.notEqual(target.socket.id, oldSid, "a new socket id");
        const state = await ack(target.socket, "state");
        assert.equal(state.sid, target.socket.id);
        assert.equal(state.recovered, false, `the member sees a fresh socket: ${JSON.stringify(state)}`);
        assert.deepEqual(state.rooms, [target.socket.id], "no rooms of the old socket");
        assert.deepEqual(state.data, { member: member.kind }, "fresh data");
        assert.deepEqual(state.connects, [false], "the connect handler ran once, not recovered");
      }

      // -------------------------------------------------------------------------------------
      // wire
      // -------------------------------------------------------------------------------------

      it("wire: a broadcast from each member is a stream entry uid, nsp, type \"3\", data of the same shape", async () => {
        const mark = await evidenceMark(cluster);
        await withEvidence(mark, async () => {
          const privateUids = async () =>
            (await cluster.redis.channels("socket.io#/#*#")).map((ch) => ch.slice("socket.io#/#".length, -1)).filter(Boolean);
          const uids = await privateUids();
          assert.equal(uids.length, 2, `one response channel socket.io#/#<uid># per member: ${JSON.stringify(uids)}`);
          const found = {};
          for (const [label, member] of [["A", A], ["B", B]]) {
            const sender = await client(member, `sender on ${member.name}`);
            const event = freshEvent(`wire-${label}`);
            const binEvent = freshEvent(`wire-bin-${label}`);
            await ack(sender.socket, "broadcast", { to: ["r1", "r2"], except: ["x"], event, args: ["text", { n: 1 }] });
            await ack(sender.socket, "broadcast", { to: ["r1"], event: binEvent, args: [Buffer.from([7, 8])] });
            const entryOf = async (ev) =>
              waitUntil(
                async () =>
                  (await cluster.redis.xrange(STREAM)).find((e) => decodeStreamData(e.message.data).value?.packet?.data?.[0] === ev),
                2000,
                `${member.name}'s broadcast of ${ev} to be in the stream`,
              );
            const entry = await entryOf(event);
            const binEntry = await entryOf(binEvent);
            for (const e of [entry, binEntry]) {
              assert.deepEqual(e.fields.map(([k]) => k), FIELDS, `${member.name}: the fields of entry ${e.id}, in order`);
              assert.match(e.id, OFFSET_RE);
              assert.equal(e.message.type, "3", `${member.name}: type "3" (BROADCAST)`);
              assert.equal(e.message.nsp, "/", `${member.name}: nsp`);
              assert.ok(uids.includes(e.message.uid), `${member.name}: the entry's uid ${e.message.uid} is a member's response channel uid ${JSON.stringify(uids)}`);
            }
            const text = decodeStreamData(entry.message.data);
            assert.equal(text.enc, "json", `${member.name}: data without binary is JSON: ${entry.message.data}`);
            const bin = decodeStreamData(binEntry.message.data);
            assert.equal(bin.enc, "msgpack", `${member.name}: data with binary is base64 MessagePack: ${binEntry.message.data}`);
            const { packet, opts } = text.value;
            assert.equal(packet.type, 2, `${member.name}: packet.type`);
            assert.deepEqual(packet.data, [event, "text", { n: 1 }], `${member.name}: packet.data`);
            assert.deepEqual([...opts.rooms].sort(), ["r1", "r2"], `${member.name}: opts.rooms`);
            assert.deepEqual([...opts.except].sort(), [sender.id, "x"].sort(), `${member.name}: opts.except (socket.to: the sender too)`);
            assert.equal(typeof opts.flags, "object", `${member.name}: opts.flags`);
            assert.equal(bin.value.packet.type, 2, `${member.name}: binary packet.type`);
            assert.deepEqual(normalizeBinary(bin.value.packet.data), normalizeBinary([binEvent, Buffer.from([7, 8])]), `${member.name}: binary packet.data`);
            found[label] = { entry, text: text.value, bin: bin.value };
          }
          assert.notEqual(found.A.entry.message.uid, found.B.entry.message.uid, "each member writes with its own uid");
          // The same shape, key by key and in the same key order, whoever wrote it (values
          // differ: uids, ids, events).
          const shape = (v) =>
            Array.isArray(v)
              ? "array"
              : v && typeof v === "object" && !Buffer.isBuffer(v) && !(v instanceof Uint8Array)
                ? Object.keys(v).map((k) => [k, shape(v[k])])
                : typeof v;
          assert.deepEqual(shape(found.B.text), shape(found.A.text), `the data of ${B.name} and ${A.name} have the same shape`);
          assert.deepEqual(shape(found.B.bin), shape(found.A.bin), "binary: the same shape");
        });
      });

      it("wire: a socket that loses its connection leaves sio:session:<pid> = base64(MessagePack({sid, pid, rooms, data})), PX <= RECOVERY_MS", async () => {
        const mark = await evidenceMark(cluster);
        await withEvidence(mark, async () => {
          const peer = await client(B, "peer");
          for (const member of [A, B]) {
            const target = await client(member, `target on ${member.name}`, { reconnection: false });
            const sid = target.socket.id;
            const pid = target.socket._pid;
            assert.equal(typeof pid, "string", `${member.name} gave the client a pid`);
            await prepare(target);
            await warmUp(peer, target);
            const gone = once(target.socket, "disconnect", 3000, "the client to see its disconnection");
            target.socket.io.engine.close();
            await gone;
            const found = await waitUntil(
              async () => (await cluster.redis.sessions()).find((s) => s.pid === pid),
              2000,
              `${member.name} to store the session of ${sid} at ${SESSION_PREFIX}${pid}`,
            );
            assert.match(found.raw, /^[A-Za-z0-9+/]+=*$/, `${member.name}: the session is base64: ${found.raw}`);
            assert.deepEqual(Object.keys(found.session), ["sid", "pid", "rooms", "data"], `${member.name}: the session's keys, in order`);
            assert.equal(found.session.sid, sid);
            assert.equal(found.session.pid, pid);
            assert.deepEqual([...found.session.rooms].sort(), [sid, "team"].sort(), `${member.name}: the session's rooms (its own id included)`);
            assert.deepEqual(found.session.data, { name: "ada", score: 3 }, `${member.name}: the session's data`);
            assert.ok(found.ttl > 0 && found.ttl <= RECOVERY_MS, `${member.name}: PTTL ${found.ttl} in (0, ${RECOVERY_MS}]`);
          }
        });
      });

      // -------------------------------------------------------------------------------------
      // recovery
      // -------------------------------------------------------------------------------------

      it(`a client of ${kindA} recovers on ${kindB}: same id, rooms, data, the missed events in order, once, then new ones`, async () => {
        const peer = await client(B, "peer");
        const target = await client(A, "target");
        const sid = target.socket.id;
        await prepare(target);
        await warmUp(peer, target);
        const event = freshEvent("missed");
        const mark = await evidenceMark(cluster);
        await withEvidence(mark, async () => {
          await awayAndBack(target, B, { meanwhile: () => emitMissed(peer, sid, event, "a") });
          await ack(peer.socket, "emit-to-sid", { sid, event, args: ["new"] });
          await target.rec.waitFor(event, 5, 3000);
          await sleep(200);
          const got = received(target, event);
          assert.deepEqual(got.map((g) => g.args), [...MISSED("a"), ["new"]], "the missed events, in order, once, then the new one");
          await assertOffsetsAreEntries(got, event);
          await assertRecovered(target, sid, [true]);
        });
      });

      it(`recovers twice in a row: ${kindA} → ${kindB} → ${kindA}`, async () => {
        const peer = await client(B, "peer");
        const target = await client(A, "target");
        const sid = target.socket.id;
        await prepare(target);
        await warmUp(peer, target);
        const event = freshEvent("missed");
        const mark = await evidenceMark(cluster);
        await withEvidence(mark, async () => {
          // To B, the missed events written by B; back to A, the missed events written by B.
          await awayAndBack(target, B, { meanwhile: () => emitMissed(peer, sid, event, "t1") });
          await target.rec.waitFor(event, 4, 3000);
          await assertRecovered(target, sid, [true]);
          await awayAndBack(target, A, { meanwhile: () => emitMissed(peer, sid, event, "t2") });
          await target.rec.waitFor(event, 8, 3000);
          await ack(peer.socket, "broadcast", { to: ["team"], event, args: ["new"] });
          await target.rec.waitFor(event, 9, 3000);
          await sleep(200);
          const got = received(target, event);
          assert.deepEqual(got.map((g) => g.args), [...MISSED("t1"), ...MISSED("t2"), ["new"]]);
          await assertOffsetsAreEntries(got, event);
          await assertRecovered(target, sid, [false, true]);
        });
      });

      it(`a direct emit of a task on ${kindA} holding the socket reaches it once it is back on ${kindB}`, async () => {
        const peer = await client(B, "peer");
        const target = await client(A, "target");
        const sid = target.socket.id;
        await warmUp(peer, target);
        const event = freshEvent("later");
        const mark = await evidenceMark(cluster);
        await withEvidence(mark, async () => {
          assert.equal(await ack(target.socket, "emit-self", { event, count: 3, delayMs: 150 }), "scheduled");
          await awayAndBack(target, B, { meanwhile: () => sleep(300) });
          await target.rec.waitFor(event, 3, 3000);
          await sleep(200);
          const got = received(target, event);
          assert.deepEqual(got.map((g) => g.args), [[0], [1], [2]], "each once, in order");
          await assertOffsetsAreEntries(got, event);
          assert.equal(target.socket.id, sid);
          assert.equal(target.socket.recovered, true);
        });
      });

      it(`a client back after the window gets a fresh socket on ${kindB}`, async () => {
        const peer = await client(B, "peer");
        const target = await client(A, "target");
        const sid = target.socket.id;
        await prepare(target);
        await warmUp(peer, target);
        const event = freshEvent("missed");
        const mark = await evidenceMark(cluster);
        await withEvidence(mark, async () => {
          await awayAndBack(target, B, {
            awayMs: LATE_MS,
            meanwhile: () => emitMissed(peer, sid, event, "late"),
          });
          await assertFresh(target, sid, B);
          await sleep(200);
          assert.equal(target.rec.of(event).length, 0, "no replay for a fresh socket");
        });
      });

      it(`a Redis restart while the client is away: a fresh socket on ${kindB}, and the members keep working`, async () => {
        const peer = await client(B, "peer");
        const onA = await client(A, "onA");
        const target = await client(A, "target", { reconnection: false });
        const sid = target.socket.id;
        const pid = target.socket._pid;
        await prepare(target);
        await warmUp(peer, target);
        let mark = await evidenceMark(cluster);
        await withEvidence(mark, async () => {
          const gone = once(target.socket, "disconnect", 3000, "the client to see its disconnection");
          target.socket.io.engine.close();
          await gone;
          await waitUntil(
            async () => (await cluster.redis.sessions()).some((s) => s.pid === pid),
            2000,
            `${A.name} to store the session before Redis goes`,
          );
        });
        await cluster.bus.stop();
        await cluster.redis.restart();
        cluster.bus = await Bus.start(cluster.redis);
        mark = await evidenceMark(cluster);
        await withEvidence(mark, async () => {
          const up = await clusterUp(cluster, 2, { ms: 10_000 });
          assert.ok(up.serverCountReached, `both members subscribed again (PUBSUB NUMSUB ${await cluster.redis.numsub("socket.io#/#")})`);
          assert.deepEqual(await cluster.redis.sessions(), [], "the new Redis holds no session");
          // The client comes back to B.
          target.socket.io.uri = B.url;
          const back = once(target.socket, "connect", 6000, `the client to reconnect to ${B.name}`);
          target.socket.connect();
          await back;
          assert.equal(memberOf(target), B, `the client is connected to ${B.name}`);
          await assertFresh(target, sid, B);
          // Everyone receives broadcasts from either member again, the first one included:
          // each member's command connection is back once its subscriber is.
          const all = [peer, onA, target];
          for (const [sender, from] of [[peer, B], [onA, A]]) {
            const event = freshEvent("after-restart");
            assert.equal(await ack(sender.socket, "broadcast", { includeSelf: true, event, args: [from.name] }), "done");
            for (const c of all) {
              await c.rec.waitFor(event, 1, 3000).catch((err) => {
                throw new Error(`${c.label} (on ${memberOf(c)?.name}) should get a broadcast from ${from.name} after the restart: ${err.message}`);
              });
            }
            await sleep(ABSENCE_WAIT_MS);
            for (const c of all) {
              const got = c.rec.of(event);
              assert.equal(got.length, 1, `${c.label} gets the broadcast from ${from.name} once`);
              assert.deepEqual(withoutOffset(got[0]), [from.name]);
            }
          }
        });
        for (const m of cluster.members) m.assertAlive();
      });

      it("members are still alive", () => {
        for (const m of cluster.members) m.assertAlive();
      });
    });
  }
});

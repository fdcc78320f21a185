// Faults on the bus, two ferrio members (testapp with REDIS_URL):
//
// - Redis restarts (SIGKILL, then a new redis-server on the SAME port): the members keep running,
//   log the messages they could not publish and their subscriber's reconnect, subscribe again
//   (`PUBSUB NUMSUB socket.io-request#/#` is 2 again) and broadcasts cross again, without
//   restarting the members.
// - Messages that do not decode (random bytes, truncated / hostile MessagePack, JSON of the
//   wrong shape, a 200 KB blob) on the broadcast, room broadcast, request and response channels
//   are logged and skipped: the members stay up and broadcasts still cross afterwards.
//
// testapp logs with tracing_subscriber's default writer: stdout (the harness keeps both streams).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import {
  startCluster,
  startFerrio,
  Bus,
  redisClient,
  notepack,
  ack,
  sleep,
  waitUntil,
  withTimeout,
  expectDelivery,
  freshEvent,
  REQUEST_CHANNEL,
  RESPONSE_CHANNEL,
} from "./harness.mjs";

const LOST = "redis unreachable: published cluster messages may be lost";
const RECONNECTED = "redis subscriber reconnected";
const CONNECTION_LOST = "redis subscriber connection lost; reconnecting";
const SKIPPED_BROADCAST = "skipped a cluster broadcast that does not decode";
const SKIPPED_REQUEST = "skipped a cluster request that does not decode";

// eslint-disable-next-line no-control-regex
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");
/** Everything a member printed (stdout: tracing logs and the ready line; stderr: panics). */
const output = (m) => stripAnsi(m.stdout + "\n" + m.stderr);
const tail = (m, n = 3000) => `${m.name} output (tail):\n${output(m).slice(-n)}`;

// ---------------------------------------------------------------------------
// a redis-server this file controls (kill it, start it again on the same port)
// ---------------------------------------------------------------------------

function redisServerPath() {
  if (process.env.REDIS_SERVER) return process.env.REDIS_SERVER;
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/bin", "/usr/local/bin"])) {
    const p = path.join(dir || ".", "redis-server");
    if (existsSync(p)) return p;
  }
  throw new Error("redis-server is not installed (apt-get install redis-server, or REDIS_SERVER=/path)");
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const owned = new Set();
process.on("exit", () => {
  for (const child of owned) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

/** redis-server on `port` (foreground, own process group); resolves once it answers PING. */
async function spawnRedis(port) {
  const child = spawn(
    redisServerPath(),
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
    { stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  owned.add(child);
  const proc = { child, port, url: `redis://127.0.0.1:${port}`, output: "", exit: null };
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8").on("data", (chunk) => {
      proc.output = (proc.output + chunk).slice(-16_000);
      if (process.env.FERRIO_TEST_VERBOSE) process.stderr.write(`[redis:${port}] ${chunk}`);
    });
  }
  proc.exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      owned.delete(child);
      proc.exit = { code, signal };
      resolve(proc.exit);
    }),
  );
  await waitUntil(
    async () => {
      if (proc.exit) throw new Error(`redis-server on ${port} exited: ${JSON.stringify(proc.exit)}\n${proc.output}`);
      const c = redisClient(proc.url);
      try {
        await withTimeout(c.connect(), 1000, "connect");
        return (await withTimeout(c.ping(), 1000, "PING")) === "PONG";
      } catch {
        return false;
      } finally {
        await c.disconnect().catch(() => {});
      }
    },
    10_000,
    `redis-server on port ${port} to answer PING`,
    50,
  );
  proc.client = redisClient(proc.url, { name: "ferrio-test-admin" });
  await proc.client.connect();
  proc.numsub = async (channel) => Number((await proc.client.sendCommand(["PUBSUB", "NUMSUB", channel]))[1]);
  proc.kill = async (signal = "SIGKILL") => {
    await proc.client.disconnect().catch(() => {});
    if (!proc.exit) process.kill(-child.pid, signal);
    await withTimeout(proc.exited, 5000, `redis-server on ${port} to exit after ${signal}`);
  };
  return proc;
}

// ---------------------------------------------------------------------------
// Redis restart
// ---------------------------------------------------------------------------

describe("Redis restarts under two ferrio members", () => {
  let redis, bus, A, B, a, b;
  before(async () => {
    redis = await spawnRedis(await freePort());
    bus = await Bus.start(redis);
    A = await startFerrio(redis, { name: "ferrio1" });
    B = await startFerrio(redis, { name: "ferrio2" });
    await waitUntil(async () => (await redis.numsub(REQUEST_CHANNEL)) === 2, 3000, "NUMSUB = 2 before the restart");
    a = await A.client("a");
    b = await B.client("b");
  });
  after(async () => {
    for (const m of [A, B]) await m?.stop().catch(() => {});
    await bus?.stop();
    await redis?.kill().catch(() => {});
  });

  /** Emit numbered broadcasts from `from` every 200 ms until `to` gets one; returns the number. */
  async function crossAgain(from, to, ms) {
    const event = freshEvent("after-restart");
    const mark = bus.mark();
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < ms) {
      n++;
      // the ack says the member handled it (published or logged as lost), not that it crossed
      await ack(from.s, "broadcast", { event, args: [n] }).catch(() => {});
      try {
        const [[got]] = await to.rec.waitFor(event, 1, 200);
        return { got, sent: n, after: Date.now() - started };
      } catch {
        /* not yet */
      }
    }
    throw new Error(
      `no "${event}" broadcast from ${from.label} (${from.member.name}) reached ${to.label} (${to.member.name}) ` +
        `within ${ms} ms of Redis being back (${n} sent)\nPub/Sub since:\n${bus.describe(mark)}\n${tail(A)}\n${tail(B)}`,
    );
  }

  it("a broadcast crosses before the restart", async () => {
    const event = freshEvent("before");
    const mark = bus.mark();
    assert.equal(await ack(a.s, "broadcast", { event, args: ["before"] }), "done");
    await expectDelivery({ all: [a, b], yes: [b], event, args: ["before"], bus, mark });
  });

  it("after SIGKILL and a restart on the same port, broadcasts cross again, the loss and the reconnect are logged, NUMSUB is 2 again", async () => {
    const port = redis.port;
    await bus.stop();
    await redis.kill("SIGKILL");
    assert.equal(redis.exit.signal, "SIGKILL");

    // while Redis is away: broadcasts from both sides (their publishes are lost)
    const lostEvent = freshEvent("while-down");
    for (const c of [a, b]) {
      assert.equal(await ack(c.s, "broadcast", { event: lostEvent, args: ["lost"] }), "done", `${c.label}: broadcast while Redis is down still answers`);
    }
    await sleep(300);
    A.assertAlive();
    B.assertAlive();
    await waitUntil(() => output(A).includes(LOST), 2000, `ferrio1 to log "${LOST}" while Redis is down\n${tail(A)}`);

    // same port again
    redis = await spawnRedis(port);
    bus = await Bus.start(redis);
    const ab = await crossAgain(a, b, 8000);
    const ba = await crossAgain(b, a, 4000);
    process.stdout.write(`# crossed again: a→b after ${ab.after} ms (#${ab.got} of ${ab.sent}), b→a after ${ba.after} ms\n`);

    await waitUntil(
      async () => (await redis.numsub(REQUEST_CHANNEL)) === 2,
      3000,
      `PUBSUB NUMSUB ${REQUEST_CHANNEL} to be 2 again (is ${await redis.numsub(REQUEST_CHANNEL)})`,
    );
    assert.equal(await redis.numsub(RESPONSE_CHANNEL), 2, `NUMSUB ${RESPONSE_CHANNEL} after the restart`);

    for (const m of [A, B]) {
      m.assertAlive();
      assert.ok(output(m).includes(CONNECTION_LOST), `${m.name} logs "${CONNECTION_LOST}"\n${tail(m)}`);
      assert.ok(output(m).includes(RECONNECTED), `${m.name} logs "${RECONNECTED}"\n${tail(m)}`);
      assert.ok(
        output(m).indexOf(CONNECTION_LOST) < output(m).lastIndexOf(RECONNECTED),
        `${m.name} logs the reconnect after the loss\n${tail(m)}`,
      );
    }
    assert.ok(output(B).includes(LOST), `ferrio2 logs "${LOST}" for its publish while Redis was down\n${tail(B)}`);
    // whatever was published while Redis was down is lost, never delivered late
    assert.equal(a.rec.of(lostEvent).length + b.rec.of(lostEvent).length, 0, "a broadcast lost while Redis was down arrives late");
  });

  it("after the restart, room broadcasts and server-wide emits cross both ways exactly once", async () => {
    assert.deepEqual(await ack(b.s, "join", ["r1"]), ["r1", b.id].sort());
    for (const [from, to] of [
      [a, b],
      [b, a],
    ]) {
      const event = freshEvent("after-room");
      const mark = bus.mark();
      assert.equal(await ack(from.s, "broadcast", { event, includeSelf: true, args: [from.label] }), "done");
      await expectDelivery({ all: [a, b], yes: [a, b], event, args: [from.label], bus, mark });
    }
    const event = freshEvent("after-r1");
    const mark = bus.mark();
    assert.equal(await ack(a.s, "broadcast", { event, to: ["r1"], args: [1] }), "done");
    await expectDelivery({ all: [a, b], yes: [b], event, args: [1], bus, mark });
  });
});

// ---------------------------------------------------------------------------
// messages that do not decode
// ---------------------------------------------------------------------------

/** A broadcast exactly as Node's adapter publishes it: [uid, packet, opts]. */
const nodeBroadcast = (event, args, rooms = [], nsp = "/") =>
  notepack.encode(["garbageuid", { type: 2, data: [event, ...args], nsp }, { rooms, except: [], flags: {} }]);

/** An array nested `depth` times around `inner` (MessagePack fixarray of 1 = 0x91). */
const nested = (depth, inner) => Buffer.concat([Buffer.alloc(depth, 0x91), inner]);

function garbage() {
  const valid = nodeBroadcast("never", ["x".repeat(40), { a: [1, 2, 3] }]);
  return [
    ["empty message", Buffer.alloc(0)],
    ["random bytes", randomBytes(64)],
    ["random bytes starting with '{'", Buffer.concat([Buffer.from("{"), randomBytes(63)])],
    ["truncated MessagePack broadcast", valid.subarray(0, valid.length - 7)],
    ["MessagePack broadcast cut after one byte", valid.subarray(0, 1)],
    ["valid broadcast + trailing bytes", Buffer.concat([valid, Buffer.from([0xc1, 0x00])])],
    ["MessagePack of the wrong shape (map)", notepack.encode({ uid: "x", type: "bad" })],
    ["MessagePack of the wrong shape ([1, 2])", notepack.encode([1, 2])],
    ["broadcast without data", notepack.encode(["u", { type: 2, nsp: "/" }, {}])],
    ["broadcast with empty data (no event name)", notepack.encode(["u", { type: 2, data: [], nsp: "/" }, {}])],
    ["broadcast whose event name is a number", notepack.encode(["u", { type: 2, data: [5, "x"], nsp: "/" }, {}])],
    ["broadcast whose uid is a map", notepack.encode([{}, { type: 2, data: ["e"], nsp: "/" }, {}])],
    ["broadcast whose rooms are numbers", notepack.encode(["u", { type: 2, data: ["e"], nsp: "/" }, { rooms: [1, 2] }])],
    ["broadcast whose nsp is a number", notepack.encode(["u", { type: 2, data: ["e"], nsp: 7 }, {}])],
    ["broadcast of packet type 'x'", notepack.encode(["u", { type: "x", data: ["e"] }, {}])],
    ["array claiming 2^32-1 elements", Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ["string claiming 2^32-1 bytes", Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61])],
    ["binary claiming 2^32-1 bytes", Buffer.from([0xc6, 0xff, 0xff, 0xff, 0xff, 0x61])],
    ["JSON object with a bad type", Buffer.from(JSON.stringify({ uid: "x", type: "not-a-number", requestId: 5, rooms: 3, opts: "?" }))],
    ["JSON of unknown request type", Buffer.from(JSON.stringify({ uid: "x", type: 99, requestId: "r" }))],
    ["JSON with fields of the wrong types", Buffer.from(JSON.stringify({ uid: 1, type: 0, requestId: [], rooms: {}, opts: { rooms: 5, except: "x" } }))],
    ["truncated JSON", Buffer.from('{"uid":"x","type":0,"requestId":"r","rooms":["a"')],
    ["JSON nested 100000 deep", Buffer.from('{"a":' + "[".repeat(100_000))],
    ["200 KB random blob", randomBytes(200 * 1024)],
    ["200 KB blob starting with '{'", Buffer.concat([Buffer.from("{"), randomBytes(200 * 1024)])],
  ];
}

describe("cluster messages that do not decode are logged and skipped (two ferrio members)", () => {
  let cluster, A, B, a1, b1, b2;
  before(async () => {
    cluster = await startCluster(["ferrio", "ferrio"]);
    [A, B] = cluster.members;
    a1 = await A.client("a1");
    b1 = await B.client("b1");
    b2 = await B.client("b2");
    assert.deepEqual(await ack(b1.s, "join", ["r1"]), ["r1", b1.id].sort());
  });
  after(async () => {
    await cluster?.stop();
  });

  /** Broadcasts still cross both ways, to all and to room r1. */
  async function stillCrossing(what) {
    const all = [a1, b1, b2];
    for (const [from, req, yes] of [
      [a1, {}, [b1, b2]],
      [a1, { to: ["r1"] }, [b1]],
      [b1, { includeSelf: true }, all],
    ]) {
      const event = freshEvent("still");
      const mark = cluster.bus.mark();
      assert.equal(await ack(from.s, "broadcast", { event, ...req, args: [what] }), "done");
      await expectDelivery({ all, yes, event, args: [what], bus: cluster.bus, mark }).catch((err) => {
        err.message += `\n${tail(A)}\n${tail(B)}`;
        throw err;
      });
    }
  }

  const channels = ["socket.io#/#", "socket.io#/#r1#", REQUEST_CHANNEL, RESPONSE_CHANNEL];
  for (const channel of channels) {
    it(`garbage on ${channel}: no crash, broadcasts still cross`, async () => {
      const cases = garbage();
      for (const [label, bytes] of cases) {
        const receivers = await cluster.redis.client.publish(channel, bytes);
        assert.ok(receivers >= 2, `PUBLISH ${label} on ${channel} reached ${receivers} subscribers`);
      }
      await sleep(300);
      for (const m of cluster.members) m.assertAlive();
      await stillCrossing(`after garbage on ${channel}`);
      // nothing from the garbage reached a client
      for (const c of [a1, b1, b2]) {
        const names = c.rec.events.map((e) => e.name).filter((n) => !n.startsWith("still-"));
        assert.deepEqual(names, [], `${c.label} received events from garbage: ${JSON.stringify(names)}`);
      }
    });
  }

  it(`both members logged "${SKIPPED_BROADCAST}" and "${SKIPPED_REQUEST}"`, async () => {
    for (const m of cluster.members) {
      m.assertAlive();
      assert.ok(output(m).includes(SKIPPED_BROADCAST), `${m.name} logs "${SKIPPED_BROADCAST}"\n${tail(m)}`);
      assert.ok(output(m).includes(SKIPPED_REQUEST), `${m.name} logs "${SKIPPED_REQUEST}"\n${tail(m)}`);
      assert.doesNotMatch(output(m), /panicked/, `${m.name} panicked\n${tail(m)}`);
    }
  });

  it("a valid Node-format broadcast with arguments nested 100 deep still reaches the room", async () => {
    const event = freshEvent("deep");
    let value = "core";
    for (let i = 0; i < 100; i++) value = [value];
    const mark = cluster.bus.mark();
    await cluster.redis.client.publish("socket.io#/#r1#", nodeBroadcast(event, [value], ["r1"]));
    await b1.rec.waitFor(event, 1, 2000).catch((err) => {
      err.message += `\nPub/Sub:\n${cluster.bus.describe(mark, { width: 200 })}\n${tail(B)}`;
      throw err;
    });
    await sleep(200);
    assert.deepEqual(b1.rec.of(event), [[value]], "b1 (r1) gets the deep broadcast once, intact");
    assert.equal(b2.rec.of(event).length, 0, "b2 (not in r1) does not");
    assert.equal(a1.rec.of(event).length, 0, "a1 (not in r1) does not");
    for (const m of cluster.members) m.assertAlive();
  });
});

// Hostile nesting: a few hundred bytes of MessagePack arrays nested inside each other. rmpv
// stops at 1024 levels, but the members' tokio worker stack (2 MiB) may not last that long: a
// debug build aborts ("has overflowed its stack") from about 450 levels, a release build
// survives. Either way the message must be skipped, not kill the process. Each depth on a fresh pair of members
// (a crash would take both down).
describe("deeply nested MessagePack on the bus is skipped, never a crash", () => {
  for (const [channel, depth] of [
    ["socket.io#/#", 1000],
    ["socket.io#/#", 100_000],
    [REQUEST_CHANNEL, 1000],
    [RESPONSE_CHANNEL, 1000],
  ]) {
    it(`${depth} nested arrays (${depth + 1} bytes) on ${channel}`, async (t) => {
      const cluster = await startCluster(["ferrio", "ferrio"]);
      t.after(() => cluster.stop().catch(() => {}));
      const [A, B] = cluster.members;
      const a = await A.client("a");
      const b = await B.client("b");
      const mark = cluster.bus.mark();
      await cluster.redis.client.publish(channel, nested(depth, Buffer.from([0xc0])));
      await sleep(300);
      for (const m of cluster.members) {
        assert.equal(
          m.exit,
          null,
          `${m.name} must survive ${depth} nested arrays on ${channel}, but ${JSON.stringify(m.exit)}\n${tail(m, 600)}` +
            `\nPub/Sub:\n${cluster.bus.describe(mark, { width: 120 })}`,
        );
      }
      const event = freshEvent("after-deep");
      const mark2 = cluster.bus.mark();
      assert.equal(await ack(a.s, "broadcast", { event, args: [depth] }), "done");
      await expectDelivery({ all: [a, b], yes: [b], event, args: [depth], bus: cluster.bus, mark: mark2 });
    });
  }
});

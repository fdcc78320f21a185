// Connection state recovery on one server (testapp with RECOVERY_MS), with the real
// socket.io-client 4.x: a client that loses its transport — `engine.close()`, a reset TCP
// connection, a server-side transport error, a polling client gone silent — and comes back in
// time gets the same id, its rooms, its data and every event emitted to it meanwhile (room,
// namespace, by id, direct emits, binary), in order, once, before anything new; `recovered` is
// true for the client and for the app. Again and again, across transports, with the connect
// handler run or skipped. After the window, with a forged pid or offset, or past the limits
// of what is kept, it gets a fresh socket.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startServer, ack, recorder, sleep, waitEvent, io } from "./harness.mjs";
import { v2Connect, v2Recorder } from "./harness-v2.mjs";

const RECONNECT = {
  reconnection: true,
  reconnectionDelay: 50,
  reconnectionDelayMax: 100,
  randomizationFactor: 0,
};
const WS = { transports: ["websocket"] };
const POLL = { transports: ["polling"], upgrade: false };

/** A recovering testapp; `env` adds to or overrides its settings. */
function server(t, env = {}) {
  return startServer("testapp", { t, env: { RECOVERY_MS: 5000, ...env } });
}

/** A client that reconnects quickly, to `url` (the server's, or a proxy's). */
async function client(srv, opts = {}, url = srv.url) {
  const socket = io(url, { forceNew: true, timeout: 5000, ...RECONNECT, ...opts });
  srv.clients.add(socket);
  srv.clients.add({ close: () => socket.io._close() });
  await waitEvent(socket, "connect", 5000, "the first connection");
  return { socket, sid: socket.id, rec: recorder(socket) };
}

/** An event's arguments without the offset recovery appends, checked to be one. */
function withoutOffset(args) {
  const offset = args.at(-1);
  assert.equal(typeof offset, "string", `the last argument is the offset: ${JSON.stringify(args)}`);
  return args.slice(0, -1);
}

/** Gives the client an offset: an event reaches it, so that it can come back. */
async function warmUp(peer, target) {
  await ack(peer, "emit-to-sid", { sid: target.socket.id, event: "warm-up", args: [] });
  await target.rec.waitFor("warm-up", 1, 2000);
}

/** Waits for the next `connect` of a client that lost its connection. */
function reconnected(target, ms = 5000) {
  return waitEvent(target.socket, "connect", ms, "the client to reconnect");
}

/** Loses the connection by `lose`, emits what `meanwhile` emits, then awaits the return. */
async function dropAndReturn(target, lose, meanwhile = async () => {}) {
  const back = reconnected(target);
  const gone = waitEvent(target.socket, "disconnect", 5000, "the client to see its disconnection");
  await lose();
  await gone;
  await meanwhile();
  await back;
}

/** Emits, from `peer`, one of each kind of event that must reach `target` while it is away. */
async function emitMissed(peer, target, tag) {
  // The client forgets its id while it is away.
  const sid = target.sid;
  await ack(peer, "broadcast", { to: ["team"], event: "missed", args: [`${tag}-room`] });
  await ack(peer, "broadcast", { includeSelf: true, event: "missed", args: [`${tag}-all`] });
  await ack(peer, "emit-to-sid", { sid, event: "missed", args: [`${tag}-sid`] });
  await ack(peer, "broadcast", {
    to: ["team"],
    event: "missed",
    args: [`${tag}-binary`, Buffer.from([1, 2, 3])],
  });
  // Not for the target: another room, and everyone but the team.
  await ack(peer, "broadcast", { to: ["elsewhere"], event: "missed", args: [`${tag}-other`] });
  await ack(peer, "broadcast", { except: ["team"], event: "missed", args: [`${tag}-except`] });
}

const MISSED_ORDER = (tag) => [
  [`${tag}-room`],
  [`${tag}-all`],
  [`${tag}-sid`],
  [`${tag}-binary`, "<binary 010203>"],
];

/** The `missed` events a client received, without offsets, binary shown. */
function missedOf(target) {
  return target.rec.of("missed").map((args) =>
    withoutOffset(args).map((arg) =>
      Buffer.isBuffer(arg) || arg instanceof ArrayBuffer
        ? `<binary ${Buffer.from(arg).toString("hex")}>`
        : arg,
    ),
  );
}

/** A TCP proxy in front of a server, to reset or silence its connections. */
async function tcpProxy(t, port) {
  const pairs = new Set();
  let silent = false;
  const proxy = net.createServer((downstream) => {
    const upstream = net.connect(port, "127.0.0.1");
    const pair = { downstream, upstream };
    pairs.add(pair);
    if (!silent) {
      downstream.pipe(upstream);
      upstream.pipe(downstream);
    }
    const drop = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    for (const side of [downstream, upstream]) {
      side.on("error", drop);
      side.on("close", drop);
    }
  });
  await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const { downstream, upstream } of pairs) {
      downstream.destroy();
      upstream.destroy();
    }
    proxy.close();
  });
  return {
    url: `http://127.0.0.1:${proxy.address().port}`,
    /** Resets both sides of every connection, as a dying network does; new ones then pass. */
    reset() {
      silent = false;
      for (const { downstream, upstream } of pairs) {
        downstream.resetAndDestroy();
        upstream.resetAndDestroy();
      }
    },
    /** Lets new connections through again; the silent ones stay silent. */
    heal() {
      silent = false;
    },
    /** Stops forwarding on every connection, open or new, leaving them open: a silent
     * network, until `reset`. */
    silence() {
      silent = true;
      for (const { downstream, upstream } of pairs) {
        downstream.unpipe(upstream);
        upstream.unpipe(downstream);
        downstream.pause();
        upstream.pause();
      }
    },
  };
}

/** Joins `team`, sets data, and checks what the server then knows. */
async function prepare(target) {
  await ack(target.socket, "join", "team");
  assert.equal(await ack(target.socket, "set-data", { name: "ada", score: 3 }), "done");
}

/** Checks that `target` came back as itself, with its rooms and data, told by both sides. */
async function assertRecovered(target, sid, expectedConnects) {
  assert.equal(target.socket.recovered, true, "the client sees socket.recovered");
  assert.equal(target.socket.id, sid, "the same socket id");
  const state = await ack(target.socket, "state");
  assert.equal(state.sid, sid);
  assert.equal(state.recovered, true, "the app sees the socket recovered");
  assert.deepEqual(state.rooms, [sid, "team"].sort(), "its rooms");
  assert.deepEqual(state.data, { name: "ada", score: 3 }, "its data");
  assert.deepEqual(state.connects, expectedConnects, "what the connect handler saw each time");
}

describe("connection state recovery on one server", () => {
  it("engine.close(): same id, rooms and data; missed events in order, once, before new ones", async (t) => {
    const srv = await server(t);
    const peer = await srv.connect("/", WS);
    const target = await client(srv, WS);
    const sid = target.socket.id;
    await prepare(target);
    await warmUp(peer, target);
    await dropAndReturn(
      target,
      () => target.socket.io.engine.close(),
      () => emitMissed(peer, target, "a"),
    );
    await ack(peer, "emit-to-sid", { sid, event: "missed", args: ["new"] });
    await target.rec.waitFor("missed", 5, 2000);
    await sleep(150);
    assert.deepEqual(missedOf(target), [...MISSED_ORDER("a"), ["new"]]);
    await assertRecovered(target, sid, [false, true]);
  });

  it("a reset TCP connection (websocket) recovers", async (t) => {
    const srv = await server(t);
    const proxy = await tcpProxy(t, srv.port);
    const peer = await srv.connect("/", WS);
    const target = await client(srv, WS, proxy.url);
    const sid = target.socket.id;
    await prepare(target);
    await warmUp(peer, target);
    await dropAndReturn(target, () => proxy.reset(), () => emitMissed(peer, target, "b"));
    await target.rec.waitFor("missed", 4, 2000);
    assert.deepEqual(missedOf(target), MISSED_ORDER("b"));
    await assertRecovered(target, sid, [false, true]);
  });

  it("a server-side transport error (a message over max_payload) recovers", async (t) => {
    const srv = await server(t, { MAX_PAYLOAD: 2000 });
    const peer = await srv.connect("/", WS);
    const target = await client(srv, WS);
    const sid = target.socket.id;
    await prepare(target);
    await warmUp(peer, target);
    await dropAndReturn(
      target,
      () => target.socket.emit("echo", "x".repeat(5000)),
      () => emitMissed(peer, target, "c"),
    );
    await target.rec.waitFor("missed", 4, 2000);
    assert.deepEqual(missedOf(target), MISSED_ORDER("c"));
    await assertRecovered(target, sid, [false, true]);
    const sids = await ack(peer, "last-disconnect", sid);
    assert.equal(sids, "transport error", "the server saw a transport error");
  });

  it("a polling client that stops polling (ping timeout) recovers", async (t) => {
    const srv = await server(t);
    const proxy = await tcpProxy(t, srv.port);
    const peer = await srv.connect("/", WS);
    const target = await client(srv, POLL, proxy.url);
    const sid = target.socket.id;
    await prepare(target);
    await warmUp(peer, target);
    // The server times out first (ping interval 300 ms + timeout 200 ms), then the network
    // goes away (the client must not reuse the silent connections), then the client is back.
    target.socket.io.reconnectionDelay(1000).reconnectionDelayMax(1000);
    await dropAndReturn(
      target,
      () => proxy.silence(),
      async () => {
        await sleep(300);
        proxy.reset();
        await emitMissed(peer, target, "d");
      },
    );
    await target.rec.waitFor("missed", 4, 3000);
    assert.deepEqual(missedOf(target), MISSED_ORDER("d"));
    await assertRecovered(target, sid, [false, true]);
    assert.equal(await ack(peer, "last-disconnect", sid), "ping timeout");
  });

  it("a client back before the server saw its connection go takes its socket over", async (t) => {
    const srv = await server(t, { PING_INTERVAL_MS: 2000, PING_TIMEOUT_MS: 2000 });
    const proxy = await tcpProxy(t, srv.port);
    const peer = await srv.connect("/", WS);
    const target = await client(srv, WS, proxy.url);
    const sid = target.socket.id;
    await prepare(target);
    await warmUp(peer, target);
    // The network goes silent; the client gives up on its connection and makes a new one,
    // which gets through; the server still holds the old one, silent, for seconds.
    await dropAndReturn(
      target,
      async () => {
        proxy.silence();
        await emitMissed(peer, target, "e");
        target.socket.io.engine.close();
        proxy.heal();
      },
    );
    await target.rec.waitFor("missed", 4, 2000);
    assert.deepEqual(missedOf(target), MISSED_ORDER("e"));
    await assertRecovered(target, sid, [false, true]);
    assert.equal(
      await ack(peer, "last-disconnect", sid),
      "transport close",
      "the old socket was closed when its client came back, not at its ping timeout",
    );
  });

  it("recovers again and again, switching between websocket and polling", async (t) => {
    const srv = await server(t);
    const peer = await srv.connect("/", WS);
    const target = await client(srv, WS);
    const sid = target.socket.id;
    await prepare(target);
    await warmUp(peer, target);
    const expected = [];
    const transports = [POLL, WS, POLL, WS];
    for (const [round, opts] of transports.entries()) {
      Object.assign(target.socket.io.opts, opts);
      await dropAndReturn(
        target,
        () => target.socket.io.engine.close(),
        () => emitMissed(peer, target, `r${round}`),
      );
      expected.push(...MISSED_ORDER(`r${round}`));
      await target.rec.waitFor("missed", expected.length, 2000);
      assert.equal(target.socket.io.engine.transport.name, opts.transports[0]);
      assert.deepEqual(missedOf(target), expected, `round ${round}`);
    }
    await sleep(150);
    assert.deepEqual(missedOf(target), expected, "nothing twice");
    await assertRecovered(target, sid, [false, true, true, true, true]);
  });

  it("a direct emit of a task that holds the socket reaches it once it is back", async (t) => {
    const srv = await server(t);
    const peer = await srv.connect("/", WS);
    const target = await client(srv, WS);
    const sid = target.socket.id;
    await warmUp(peer, target);
    assert.equal(await ack(target.socket, "emit-self", { event: "later", count: 3, delayMs: 300 }), "scheduled");
    await dropAndReturn(target, () => target.socket.io.engine.close(), () => sleep(400));
    await target.rec.waitFor("later", 3, 2000);
    assert.deepEqual(target.rec.of("later").map(withoutOffset), [[0], [1], [2]]);
    assert.equal(target.socket.id, sid);
  });

  it("skip_connect_handler: a recovered socket connects without its connect handler", async (t) => {
    const srv = await server(t, { RECOVERY_SKIP_CONNECT: 1 });
    const peer = await srv.connect("/", WS);
    const target = await client(srv, WS);
    const sid = target.socket.id;
    await prepare(target);
    await warmUp(peer, target);
    await dropAndReturn(target, () => target.socket.io.engine.close());
    await assertRecovered(target, sid, [false]);
  });

  it("after the window, or with a forged pid or offset, the client gets a fresh socket", async (t) => {
    const srv = await server(t, { RECOVERY_MS: 300 });
    const peer = await srv.connect("/", WS);
    // Each is done before the connection is lost; the client comes back within 100 ms.
    const forgeries = {
      late: (socket) => {
        socket.io.reconnectionDelay(700).reconnectionDelayMax(700);
      },
      "unknown pid": (socket) => {
        socket._pid = "AAAAAAAAAAAAAAAAAAAA";
      },
      "pid of another shape": (socket) => {
        socket._pid = "not-a-pid";
      },
      "offset never given": (socket) => {
        socket._lastOffset = "999999";
      },
      "offset not a number": (socket) => {
        socket._lastOffset = '1"]';
      },
    };
    for (const [name, forge] of Object.entries(forgeries)) {
      const target = await client(srv, WS);
      const sid = target.socket.id;
      await prepare(target);
      await warmUp(peer, target);
      await dropAndReturn(target, () => {
        forge(target.socket);
        target.socket.io.engine.close();
      });
      assert.equal(target.socket.recovered, false, `${name}: not recovered`);
      assert.notEqual(target.socket.id, sid, `${name}: a new id`);
      const state = await ack(target.socket, "state");
      assert.equal(state.recovered, false, `${name}: the app sees a fresh socket`);
      assert.deepEqual(state.rooms, [target.socket.id], `${name}: no rooms of the old socket`);
      assert.deepEqual(state.data, { member: "ferrio" }, `${name}: fresh data`);
    }
  });

  it("past max_packets, a client whose missed events were dropped gets a fresh socket", async (t) => {
    const srv = await server(t, { RECOVERY_MAX_PACKETS: 3 });
    const peer = await srv.connect("/", WS);
    const target = await client(srv, WS);
    const sid = target.socket.id;
    await prepare(target);
    await warmUp(peer, target);
    await dropAndReturn(
      target,
      () => target.socket.io.engine.close(),
      async () => {
        for (let i = 0; i < 5; i++) {
          await ack(peer, "broadcast", { to: ["team"], event: "missed", args: [i] });
        }
      },
    );
    assert.equal(target.socket.recovered, false);
    assert.notEqual(target.socket.id, sid);
    assert.equal(target.rec.of("missed").length, 0, "no partial replay");
  });

  it("past max_sessions, the oldest session is dropped and the newest recover", async (t) => {
    const srv = await server(t, { RECOVERY_MAX_SESSIONS: 1 });
    const peer = await srv.connect("/", WS);
    const first = await client(srv, WS);
    const second = await client(srv, WS);
    const [firstSid, secondSid] = [first.socket.id, second.socket.id];
    await warmUp(peer, first);
    await warmUp(peer, second);
    // Both away at once: each comes back 500 ms after it left.
    for (const { socket } of [first, second]) {
      socket.io.reconnectionDelay(500).reconnectionDelayMax(500);
    }
    const back = [reconnected(first), reconnected(second)];
    first.socket.io.engine.close();
    await sleep(100);
    second.socket.io.engine.close();
    await Promise.all(back);
    assert.equal(first.socket.recovered, false, "the oldest session was dropped");
    assert.notEqual(first.socket.id, firstSid);
    assert.equal(second.socket.recovered, true);
    assert.equal(second.socket.id, secondSid);
  });

  it("a socket.io client 2.x, which cannot recover, gets its events without offsets", async (t) => {
    const srv = await server(t);
    const peer = await srv.connect("/", WS);
    const legacy = await v2Connect(srv, "/", WS);
    const rec = v2Recorder(legacy);
    const modern = await client(srv, WS);
    await ack(peer, "broadcast", { event: "news", args: ["hello", Buffer.from([7])] });
    await rec.waitFor("news", 1, 2000);
    await modern.rec.waitFor("news", 1, 2000);
    assert.equal(rec.of("news")[0].length, 2, "the 2.x client sees the event's own arguments");
    assert.equal(withoutOffset(modern.rec.of("news")[0]).length, 2);
  });

  it("a client that leaves on purpose is not kept", async (t) => {
    const srv = await server(t);
    const peer = await srv.connect("/", WS);
    const target = await client(srv, WS);
    const sid = target.socket.id;
    await warmUp(peer, target);
    target.socket.disconnect();
    target.socket.connect();
    await reconnected(target);
    assert.equal(target.socket.recovered, false);
    assert.notEqual(target.socket.id, sid);
  });
});

// A Node cluster member for the Redis scale-out tests: socket.io 4.8 with, by default,
// `createAdapter(pub, sub)` from @socket.io/redis-adapter 8.3 (classic Pub/Sub), or, with
// REDIS_ADAPTER=streams, `createAdapter(client)` from @socket.io/redis-streams-adapter 0.3.1
// (Redis Streams: stream `socket.io`, Pub/Sub `socket.io#<nsp>#` and `socket.io#<nsp>#<uid>#`
// for the ephemeral messages, sessions at `sio:session:<pid>`), implementing the events of
// ferrio's `testapp` (tests/src/bin/testapp.rs) with the same semantics, across the cluster.
// Prints `ferrio listening on http://127.0.0.1:<port>` once its adapter is subscribed
// (streams: once a connection of this member is subscribed to the channels of every
// namespace and another one is blocked in XREAD, so that no entry added afterwards is missed).
//
// Env: REDIS_URL (required), REDIS_CA_FILE (a PEM CA to trust: the Redis connections then use
// TLS, for a `rediss://` URL whose server certificate a private CA signed), PORT (0 = any free
// port), REDIS_ADAPTER (`classic`, the default, or `streams`), REDIS_KEY (classic: the
// adapter prefix, default `socket.io`; streams: both the stream name and the channel prefix,
// default `socket.io`), REQUESTS_TIMEOUT_MS (the classic adapter's requestsTimeout, default
// 5000; the streams adapter's requests wait 5000 ms, fixed),
// PUBLISH_ON_SPECIFIC_RESPONSE_CHANNEL=1 (classic), PING_INTERVAL_MS (300), PING_TIMEOUT_MS
// (200), RECOVERY_MS (turns on connectionStateRecovery with that maxDisconnectionDuration and
// skipMiddlewares: true; every event emitted without an ack then carries its offset as the
// last argument; only the streams adapter can restore sessions, across the cluster).
//
// Events (all acknowledged):
//   join(room | rooms) / leave(room | rooms) / leave-all / rooms → sorted rooms of the socket
//   room-sockets(room) → sorted ids of `(await io.in(room).fetchSockets())`, or {error}
//   all-rooms → sorted `io.of("/").adapter.allRooms()`, or {error} (the streams adapter has no
//     allRooms: always {error})
//   fetch-sockets({room, greet}) → [{id, rooms, auth, eio, address, issued, data, member}]
//     of io.in(room).fetchSockets() (member: data.member)
//     sorted by id; then each fetched socket is sent `greet` (its id) and joins `greeted`.
//     socket.data starts as {member: "node"} (a recovered socket has the data of its session
//     back instead); set-data(value) → "done" replaces it.
//   state → {sid, recovered, rooms (sorted, own id included), data, connects}, connects being
//     the `socket.recovered` seen each time the connection listener ran for that socket id
//   emit-self({event, count, delayMs}) → "scheduled"; after delayMs, socket.emit(event, i)
//     for i in 0..count on this socket object (which may have lost its connection meanwhile:
//     with recovery, Node's socket.emit goes through the adapter to the room of its id)
//   broadcast({to, except, includeSelf, event, args}) → "done"
//     includeSelf false: socket.to(to).except(except) (the sender excluded)
//     includeSelf true:  io.to(to).except(except)
//   emit-to-sid({sid, event, args}) → "done" (io.to(sid))
//   server-emit({event, args}) → "scheduled" (io.emit 10 ms later)
//   call-room({room, event, args, timeoutMs}) → {responses: [first ack arg of each client,
//     sorted by JSON], error: null | message} (io.in(room).timeout(ms).emit with a callback:
//     the cluster protocol carries neither the socket id nor more than the first argument)
//   disconnect-room(room) → "done" (io.in(room).disconnectSockets())
//   close-connections(room) → "done" (io.in(room).disconnectSockets(true))
//   close-room(room) → "done" (io.in(room).socketsLeave(room))
//   server-side-emit({event, args}) → "done" (io.serverSideEmit)
//   server-side-call({event, args}) → {responses: sorted by JSON, error: null | message}
//     (io.serverSideEmitWithAck)
//   whoami → socket.id; echo(...args) → args; disconnect-me
//
// Server-side events: `announce` tells this member's clients with `announced`; `ask` answers
// {member: "node", args}; `node-only` (which ferrio members do not listen to) answers
// {member: "node"}.

import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createAdapter as createStreamsAdapter } from "@socket.io/redis-streams-adapter";
import { createClient } from "redis";
import { parseClientList } from "./client-list.mjs";

const env = (name, dflt) => process.env[name] ?? dflt;
const REDIS_URL = env("REDIS_URL");
if (!REDIS_URL) {
  console.error("node-member: REDIS_URL is required");
  process.exit(2);
}

const REDIS_CA_FILE = env("REDIS_CA_FILE");
const tlsOptions = REDIS_CA_FILE ? { socket: { tls: true, ca: readFileSync(REDIS_CA_FILE) } } : {};
const ADAPTER = env("REDIS_ADAPTER", "classic");
if (!["classic", "streams"].includes(ADAPTER)) {
  console.error(`node-member: REDIS_ADAPTER must be classic or streams, not ${JSON.stringify(ADAPTER)}`);
  process.exit(2);
}
const RECOVERY_MS = env("RECOVERY_MS");
const CLIENT_NAME = `node-member-${process.pid}`;
const onRedisError = (err) => console.error("redis error:", err.message);

/**
 * The adapter, the Redis clients to quit at the end, and `ready()`, which resolves once the
 * adapter receives what the cluster sends.
 */
async function makeAdapter() {
  if (ADAPTER === "streams") {
    // The adapter duplicates this client (same options, so the same name) for its subscriber
    // and for its stream reader.
    const client = createClient({ url: REDIS_URL, name: CLIENT_NAME, ...tlsOptions });
    client.on("error", onRedisError);
    await client.connect();
    const key = env("REDIS_KEY");
    return {
      clients: [client],
      adapter: createStreamsAdapter(client, key ? { streamName: key, channelPrefix: key } : {}),
      ready: () => streamsReady(client),
    };
  }
  const pub = createClient({ url: REDIS_URL, name: `${CLIENT_NAME}-pub`, ...tlsOptions });
  const sub = createClient({ url: REDIS_URL, name: `${CLIENT_NAME}-sub`, ...tlsOptions });
  for (const c of [pub, sub]) c.on("error", onRedisError);
  await Promise.all([pub.connect(), sub.connect()]);
  return {
    clients: [pub, sub],
    adapter: createAdapter(pub, sub, {
      key: env("REDIS_KEY", "socket.io"),
      requestsTimeout: Number(env("REQUESTS_TIMEOUT_MS", 5000)),
      publishOnSpecificResponseChannel: env("PUBLISH_ON_SPECIFIC_RESPONSE_CHANNEL", "") === "1",
    }),
    // The adapter subscribes without waiting; a SUBSCRIBE issued after it on the same
    // connection returns only once Redis has processed the adapter's subscriptions, so that
    // after this no broadcast or request can be missed.
    ready: async () => {
      const probe = `node-member-ready#${process.pid}#${Date.now()}`;
      await sub.subscribe(probe, () => {});
      await sub.unsubscribe(probe);
    },
  };
}

/** CLIENT LIST, parsed: one {id, name, sub, cmd, flags, …} per connection. */
async function clientList(client) {
  return parseClientList(await client.sendCommand(["CLIENT", "LIST"]));
}

/**
 * The streams adapter starts its subscriber and its stream reader without telling when they
 * are up. Waits (<= 10 s) until, in CLIENT LIST, one connection of this member is subscribed
 * to the two channels (`<prefix>#<nsp>#`, `<prefix>#<nsp>#<uid>#`) of every namespace and
 * another one is blocked in XREAD: its first XREAD reads from `$`, so what was added to the
 * stream before it is not seen.
 */
async function streamsReady(client) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const mine = (await clientList(client)).filter((c) => c.name === CLIENT_NAME);
    const wanted = 2 * io._nsps.size;
    const subscribed = mine.some((c) => Number(c.sub) >= wanted);
    const reading = mine.some((c) => c.cmd === "xread" && (c.flags ?? "").includes("b"));
    if (subscribed && reading) return;
    if (Date.now() > deadline) {
      const seen = mine.map(({ id, sub, cmd, flags }) => ({ id, sub, cmd, flags }));
      throw new Error(
        `the streams adapter is not up after 10 s (wanted a connection with sub >= ${wanted} ` +
          `and one blocked in xread); this member's connections: ${JSON.stringify(seen)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const setup = await makeAdapter();
const httpServer = createServer();
const io = new Server(httpServer, {
  pingInterval: Number(env("PING_INTERVAL_MS", 300)),
  pingTimeout: Number(env("PING_TIMEOUT_MS", 200)),
  cors: { origin: true },
  adapter: setup.adapter,
  ...(RECOVERY_MS
    ? { connectionStateRecovery: { maxDisconnectionDuration: Number(RECOVERY_MS), skipMiddlewares: true } }
    : {}),
});

/** What `socket.recovered` was each time the connection listener ran, by socket id. */
const connects = new Map();

const asList = (rooms) => (Array.isArray(rooms) ? rooms : [rooms]);
const sortedRooms = (socket) => [...socket.rooms].sort();
const sortByJson = (list) =>
  [...list].sort((a, b) => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
const reply = (cb, value) => {
  if (typeof cb === "function") cb(value);
};

// A second namespace, so that tests can tell a closed connection from a left namespace.
io.of("/admin").on("connection", (socket) => {
  socket.on("whoami", (cb) => reply(cb, "admin"));
});

// Events from the other servers (serverSideEmit); a trailing function is the ack callback.
io.on("announce", (...args) => {
  if (typeof args.at(-1) === "function") args.pop();
  io.local.emit("announced", ...args);
});
io.on("node-only", (...args) => {
  const cb = typeof args.at(-1) === "function" ? args.pop() : () => {};
  cb({ member: "node" });
});
io.on("ask", (...args) => {
  const cb = typeof args.at(-1) === "function" ? args.pop() : () => {};
  cb({ member: "node", args });
});

io.on("connection", (socket) => {
  connects.set(socket.id, [...(connects.get(socket.id) ?? []), socket.recovered]);
  // A recovered socket has the data of its session back.
  if (!socket.recovered) socket.data = { member: "node" };
  socket.on("state", (cb) =>
    reply(cb, {
      sid: socket.id,
      recovered: socket.recovered,
      rooms: sortedRooms(socket),
      data: socket.data ?? null,
      connects: connects.get(socket.id) ?? [],
    }),
  );
  socket.on("emit-self", (req, cb) => {
    setTimeout(() => {
      for (let i = 0; i < Number(req.count); i++) socket.emit(req.event, i);
    }, Number(req.delayMs ?? 0));
    reply(cb, "scheduled");
  });
  socket.on("join", (rooms, cb) => {
    socket.join(asList(rooms));
    reply(cb, sortedRooms(socket));
  });
  socket.on("leave", (rooms, cb) => {
    for (const r of asList(rooms)) socket.leave(r);
    reply(cb, sortedRooms(socket));
  });
  socket.on("leave-all", (cb) => {
    for (const r of [...socket.rooms]) if (r !== socket.id) socket.leave(r);
    reply(cb, sortedRooms(socket));
  });
  socket.on("rooms", (cb) => reply(cb, sortedRooms(socket)));
  socket.on("whoami", (cb) => reply(cb, socket.id));
  socket.on("set-data", (data, cb) => {
    socket.data = data;
    reply(cb, "done");
  });
  socket.on("echo", (...args) => {
    const cb = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (cb) cb(...args);
  });
  socket.on("disconnect-me", () => socket.disconnect(true));

  socket.on("room-sockets", async (room, cb) => {
    try {
      const sockets = await io.in(room).fetchSockets();
      reply(cb, sockets.map((s) => s.id).sort());
    } catch (err) {
      reply(cb, { error: err.message });
    }
  });
  socket.on("fetch-sockets", async (req, cb) => {
    try {
      const sockets = (await io.in(req.room).fetchSockets()).sort((a, b) => (a.id < b.id ? -1 : 1));
      const described = sockets.map((s) => ({
        id: s.id,
        rooms: [...s.rooms].sort(),
        auth: s.handshake.auth,
        eio: s.handshake.query.EIO,
        address: s.handshake.address,
        issued: s.handshake.issued,
        data: s.data ?? null,
        member: s.data?.member ?? null,
      }));
      for (const s of sockets) {
        s.emit(req.greet, s.id);
        s.join("greeted");
      }
      reply(cb, described);
    } catch (err) {
      reply(cb, { error: err.message });
    }
  });
  socket.on("all-rooms", async (cb) => {
    try {
      reply(cb, [...(await io.of("/").adapter.allRooms())].sort());
    } catch (err) {
      reply(cb, { error: err.message });
    }
  });

  socket.on("broadcast", (req, cb) => {
    const to = req.to ?? [];
    const except = req.except ?? [];
    const args = req.args ?? [];
    const op = req.includeSelf ? io.to(to) : socket.to(to);
    op.except(except).emit(req.event, ...args);
    reply(cb, "done");
  });
  socket.on("emit-to-sid", (req, cb) => {
    io.to(req.sid).emit(req.event, ...(req.args ?? []));
    reply(cb, "done");
  });
  socket.on("server-emit", (req, cb) => {
    setTimeout(() => io.emit(req.event, ...(req.args ?? [])), 10);
    reply(cb, "scheduled");
  });
  socket.on("call-room", (req, cb) => {
    const target = req.room ? io.in(req.room) : io;
    target.timeout(Number(req.timeoutMs)).emit(req.event, ...(req.args ?? []), (err, responses) => {
      reply(cb, { responses: sortByJson(responses ?? []), error: err ? err.message : null });
    });
  });
  socket.on("server-side-emit", (req, cb) => {
    io.serverSideEmit(req.event, ...(req.args ?? []));
    reply(cb, "done");
  });
  socket.on("server-side-call", async (req, cb) => {
    try {
      const responses = await io.serverSideEmitWithAck(req.event, ...(req.args ?? []));
      reply(cb, { responses: sortByJson(responses), error: null });
    } catch (err) {
      reply(cb, { responses: [], error: err.message });
    }
  });
  socket.on("disconnect-room", (room, cb) => {
    io.in(room).disconnectSockets();
    reply(cb, "done");
  });
  socket.on("close-connections", (room, cb) => {
    io.in(room).disconnectSockets(true);
    reply(cb, "done");
  });
  socket.on("close-room", (room, cb) => {
    io.in(room).socketsLeave(room);
    reply(cb, "done");
  });
});

try {
  await setup.ready();
} catch (err) {
  console.error(`node-member: ${err.message}`);
  process.exit(1);
}

httpServer.listen(Number(env("PORT", 0)), "127.0.0.1", () => {
  const { address, port } = httpServer.address();
  console.log(`ferrio listening on http://${address}:${port}`);
});

const shutdown = async () => {
  io.close();
  await Promise.allSettled(setup.clients.map((c) => c.quit()));
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

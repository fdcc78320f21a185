// The server side of the Socket.IO Admin UI (`Instrument`), spoken to as the official UI
// does: socket.io-client on the admin namespace (`/ops` in testapp), with basic auth and its
// session id, the `config` and `all_sockets` it gets, `server_stats` every 2 s, and the
// join / leave / _disconnect / emit actions, refused when the server is read-only.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startServer, connectError, nextEvent, sleep, ack } from "./harness.mjs";

const ADMIN = { username: "admin", password: "changeit" };

/** Connects an admin UI and collects what it is sent on connecting. */
async function admin(srv, auth = ADMIN) {
  const ui = srv.socket("/ops", { auth, transports: ["websocket"] });
  const received = {};
  for (const event of ["session", "config", "all_sockets", "server_stats"]) {
    ui.on(event, (...args) => {
      received[event] ??= args;
    });
  }
  await new Promise((resolve, reject) => {
    ui.once("connect", resolve);
    ui.once("connect_error", reject);
  });
  return { ui, received };
}

async function until(check, what, ms = 3000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await sleep(25);
  }
  throw new Error(`timed out after ${ms} ms: ${what}`);
}

describe("admin UI instrumentation", () => {
  it("basic auth: wrong credentials are refused, right ones earn a session id that logs in again", async (t) => {
    const srv = await startServer("testapp", { t, env: { ADMIN: "basic" } });
    const wrong = srv.socket("/ops", { auth: { username: "admin", password: "nope" } });
    assert.equal((await connectError(wrong)).message, "invalid credentials");
    const nobody = srv.socket("/ops", { auth: { username: "root", password: "changeit" } });
    assert.equal((await connectError(nobody)).message, "invalid credentials");

    const { received } = await admin(srv);
    await until(() => received.session, "the session id");
    const [session] = received.session;
    assert.match(session, /^\S{8,}$/);
    const again = await admin(srv, { sessionId: session });
    await until(() => again.received.config, "config after logging in by session");
    assert.equal(again.received.session, undefined, "a session login earns no new session");
    const forged = srv.socket("/ops", { auth: { sessionId: "forged" } });
    assert.equal((await connectError(forged)).message, "invalid credentials");
  });

  it("config, all_sockets and server_stats describe the server and its sockets", async (t) => {
    const srv = await startServer("testapp", { t, env: { ADMIN: "open", ADMIN_SERVER_ID: "ferrio-1" } });
    const user = await srv.connect("/", { transports: ["websocket"], query: { who: "ann" } });
    const { ui, received } = await admin(srv, {});
    await until(() => received.config && received.all_sockets, "config and all_sockets");
    assert.deepEqual(received.config[0].supportedFeatures, [
      "EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT",
    ]);
    const listed = received.all_sockets[0].find((s) => s.id === user.id);
    assert.ok(listed, `the user's socket is listed: ${JSON.stringify(received.all_sockets[0])}`);
    assert.equal(listed.nsp, "/");
    assert.equal(listed.transport, "websocket");
    assert.equal(typeof listed.clientId, "string");
    assert.deepEqual(listed.rooms, [user.id]);
    assert.equal(listed.handshake.query.who, "ann");
    assert.equal(listed.handshake.auth, undefined, "credentials are not shown");

    const stats = await until(() => received.server_stats?.[0], "server_stats");
    assert.equal(stats.serverId, "ferrio-1");
    assert.equal(typeof stats.hostname, "string");
    assert.equal(typeof stats.pid, "number");
    assert.equal(typeof stats.uptime, "number");
    assert.equal(stats.clientsCount, 2, "the user's and the UI's connections");
    assert.equal(stats.pollingClientsCount, 0);
    assert.deepEqual(
      stats.namespaces.find((ns) => ns.name === "/"),
      { name: "/", socketsCount: 1 },
    );
    assert.deepEqual(stats.namespaces.find((ns) => ns.name === "/ops"), { name: "/ops", socketsCount: 1 });
    const [next] = await nextEvent(ui, "server_stats", 3000);
    assert.ok(next.uptime >= stats.uptime);
  });

  it("join, leave, emit and _disconnect act on the sockets, filtered by room", async (t) => {
    const srv = await startServer("testapp", { t, env: { ADMIN: "open" } });
    const ann = await srv.connect("/", { transports: ["websocket"] });
    const bob = await srv.connect("/", { transports: ["websocket"] });
    const { ui } = await admin(srv, {});
    const roomsOf = async (socket) => {
      const [sockets] = await nextEvent(await fresh(), "all_sockets", 3000);
      return sockets.find((s) => s.id === socket.id)?.rooms.sort();
    };
    const fresh = async () => srv.socket("/ops", { transports: ["websocket"] });

    ui.emit("join", "/", "vip", ann.id);
    await until(async () => (await roomsOf(ann))?.includes("vip"), "ann in vip");
    assert.deepEqual(await roomsOf(bob), [bob.id], "bob is not in vip");

    const got = nextEvent(ann, "notice");
    let bobNoticed = false;
    bob.on("notice", () => (bobNoticed = true));
    ui.emit("emit", "/", "vip", "notice", "hello", 2);
    assert.deepEqual(await got, ["hello", 2]);

    ui.emit("leave", "/", "vip", ann.id);
    await until(async () => !(await roomsOf(ann))?.includes("vip"), "ann out of vip");

    const gone = nextEvent(bob, "disconnect");
    ui.emit("_disconnect", "/", false, bob.id);
    assert.equal((await gone)[0], "io server disconnect");
    assert.ok(ann.connected, "ann stays");
    assert.equal(bobNoticed, false, "the emit reached vip only");
  });

  it("read-only: no features are offered and the actions are refused", async (t) => {
    const srv = await startServer("testapp", { t, env: { ADMIN: "open", ADMIN_READONLY: "1" } });
    const ann = await srv.connect("/", { transports: ["websocket"] });
    const { ui, received } = await admin(srv, {});
    await until(() => received.config, "config");
    assert.deepEqual(received.config[0].supportedFeatures, []);
    ui.emit("_disconnect", "/", false);
    ui.emit("join", "/", "vip");
    await sleep(300);
    assert.ok(ann.connected, "the user was not disconnected");
    const check = srv.socket("/ops", { transports: ["websocket"] });
    const [sockets] = await nextEvent(check, "all_sockets", 3000);
    assert.deepEqual(sockets.find((s) => s.id === ann.id).rooms, [ann.id]);
  });

  it("live view: sockets connected and disconnected, rooms joined and left, as they happen", async (t) => {
    const srv = await startServer("testapp", { t, env: { ADMIN: "open" } });
    const { ui } = await admin(srv, {});
    const seen = [];
    for (const event of ["socket_connected", "socket_disconnected", "room_joined", "room_left"]) {
      ui.on(event, (...args) => seen.push([event, ...args]));
    }
    await sleep(100);
    seen.length = 0;
    const ann = await srv.connect("/", { transports: ["websocket"], query: { who: "ann" } });
    const id = ann.id;
    const connectedEvent = await until(() => seen.find(([e]) => e === "socket_connected"), "socket_connected");
    const [, described] = connectedEvent;
    assert.equal(described.id, id);
    assert.equal(described.nsp, "/");
    assert.equal(described.transport, "websocket");
    assert.equal(described.handshake.query.who, "ann");
    assert.deepEqual(described.rooms, [id]);
    await until(() => seen.find(([e, , room]) => e === "room_joined" && room === id), "the own room joined");

    await ack(ann, "join", "lobby");
    const joined = await until(() => seen.find(([e, , room]) => e === "room_joined" && room === "lobby"), "lobby joined");
    assert.deepEqual(joined, ["room_joined", "/", "lobby", id]);
    await ack(ann, "leave", "lobby");
    const left = await until(() => seen.find(([e, , room]) => e === "room_left" && room === "lobby"), "lobby left");
    assert.deepEqual(left, ["room_left", "/", "lobby", id]);

    ann.disconnect();
    const gone = await until(() => seen.find(([e]) => e === "socket_disconnected"), "socket_disconnected");
    assert.deepEqual(gone, ["socket_disconnected", "/", id, "client namespace disconnect"]);
  });

  it("production mode: statistics only, no socket list", async (t) => {
    const srv = await startServer("testapp", { t, env: { ADMIN: "open", ADMIN_PRODUCTION: "1" } });
    const { received } = await admin(srv, {});
    await until(() => received.config && received.server_stats, "config and stats");
    await sleep(200);
    assert.equal(received.all_sockets, undefined);
  });
});

// The seeds' chat (examples/chat, the `chat` binary) spread over THREE processes sharing one
// Redis (REDIS_URL), driven by socket.io-client 4.8.1:
//
// - /chat: `join` {username, room} announces "<name> has entered the room." to the room (the
//   joiner included), `chat` {room, text} reaches the room as `chat` {username, text}, `leave`
//   announces "<name> has left the room." then leaves: across processes, rooms kept apart.
// - /user: `user-connected` {username} is broadcast to every /user client of every process as
//   `new-user`, each asked for an ack with its user's name; the new user then gets `seen-by`
//   {count, users}: how many acked, and their names.
//
// Needs FERRIO_BIN_DIR (holding `chat`) and the example's client bundle
// (`npm ci` in examples/: the binary serves examples/node_modules/socket.io-client/dist).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  startRedis,
  Bus,
  io,
  connected,
  recorder,
  sleep,
  waitUntil,
  ABSENCE_WAIT_MS,
} from "./harness.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLES = path.resolve(HERE, "../../examples");
const READY_RE = /ferrio listening on (http:\/\/[^\s/]+:(\d+))/;

// ---------------------------------------------------------------------------
// chat processes
// ---------------------------------------------------------------------------

const live = new Set();
process.on("exit", () => {
  for (const p of live) {
    try {
      process.kill(-p.child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

function chatBinary() {
  const dir = process.env.FERRIO_BIN_DIR;
  if (!dir) throw new Error("FERRIO_BIN_DIR is not set: the directory holding the `chat` example binary");
  const bin = path.join(path.resolve(dir), "chat");
  if (!existsSync(bin)) throw new Error(`chat binary not found: ${bin} (cargo build -p ferrio-examples --bin chat)`);
  if (!existsSync(path.join(EXAMPLES, "node_modules/socket.io-client/dist/socket.io.js"))) {
    throw new Error(`the chat example needs its client bundle: run \`npm ci\` in ${EXAMPLES}`);
  }
  return bin;
}

/** One chat process (PORT=0, REDIS_URL): {name, url, stdout, stderr, exit, socket(nsp), stop()}. */
async function startChat(redis, name) {
  const env = { ...process.env, PORT: "0", REDIS_URL: redis.url, RUST_BACKTRACE: "1" };
  const child = spawn(chatBinary(), [], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const proc = { name, child, url: null, stdout: "", stderr: "", exit: null, sockets: new Set() };
  live.add(proc);
  proc.exited = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      live.delete(proc);
      proc.exit = { code, signal };
      resolve(proc.exit);
    }),
  );
  for (const [stream, key] of [
    [child.stdout, "stdout"],
    [child.stderr, "stderr"],
  ]) {
    stream.setEncoding("utf8").on("data", (chunk) => {
      proc[key] = (proc[key] + chunk).slice(-64 * 1024);
      if (process.env.FERRIO_TEST_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
    });
  }
  proc.describe = () =>
    `${name} [${proc.exit ? `exited ${JSON.stringify(proc.exit)}` : "running"}] output (tail):\n` +
    `${(proc.stdout + proc.stderr).replace(/\x1b\[[0-9;]*m/g, "").slice(-3000) || "(empty)"}`;
  await waitUntil(
    () => {
      if (proc.exit) throw new Error(`${name} exited before listening; ${proc.describe()}`);
      const m = READY_RE.exec(proc.stdout);
      if (m) proc.url = m[1];
      return proc.url;
    },
    10_000,
    `${name} to print "ferrio listening on http://127.0.0.1:<port>"`,
  ).catch(async (err) => {
    await proc.stop();
    throw new Error(`${err.message}; ${proc.describe()}`);
  });
  proc.socket = (nsp) => {
    const s = io(`${proc.url}${nsp}`, { forceNew: true, reconnection: false, timeout: 5000, transports: ["websocket"] });
    proc.sockets.add(s);
    return s;
  };
  proc.stop = async () => {
    for (const s of proc.sockets) s.disconnect();
    proc.sockets.clear();
    if (!proc.exit) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    await proc.exited;
  };
  return proc;
}

// ---------------------------------------------------------------------------
// the cluster
// ---------------------------------------------------------------------------

let redis, bus;
const procs = [];

before(async () => {
  redis = await startRedis();
  bus = await Bus.start(redis);
  for (let i = 1; i <= 3; i++) procs.push(await startChat(redis, `chat${i}`));
  // every process holds one subscription per namespace's request channel
  for (const nsp of ["/chat", "/user"]) {
    const channel = `socket.io-request#${nsp}#`;
    await waitUntil(async () => (await redis.numsub(channel)) === 3, 3000, `PUBSUB NUMSUB ${channel} = 3`).catch(
      async (err) => {
        throw new Error(`${err.message} (is ${await redis.numsub(channel)}); channels ${JSON.stringify(await redis.channels("socket.io*"))}`);
      },
    );
  }
});

after(async () => {
  for (const p of procs) await p.stop();
  await bus?.stop();
  await redis?.stop();
  const dead = procs.filter((p) => p.exit && p.exit.signal !== "SIGKILL");
  assert.deepEqual(dead.map((p) => p.describe()), [], "a chat process died during the tests");
});

/** A connected client of `proc` on `nsp`, recording what it receives. */
async function client(proc, nsp, label, setup) {
  const s = proc.socket(nsp);
  setup?.(s);
  await connected(s);
  return { s, label, proc, rec: recorder(s) };
}

const evidence = (mark) =>
  `\nPub/Sub since the action:\n${bus.describe(mark)}\n` + procs.map((p) => p.describe()).join("\n");

/**
 * The arguments of each `event` that `c` received, less the offset that connection state
 * recovery (on in the chat) appends to every event: checked to be there, then left out.
 */
function received(c, event) {
  return c.rec.of(event).map((args) => {
    assert.match(String(args.at(-1)), /^\d+$/, `${c.label}: "${event}" ends with its offset: ${JSON.stringify(args)}`);
    return args.slice(0, -1);
  });
}

/** Wait until `c` received `event` with exactly these args (deep-equal); returns the count. */
async function expectGot(c, event, args, mark, ms = 3000) {
  await waitUntil(
    () => received(c, event).some((got) => isDeepEqual(got, args)),
    ms,
    `${c.label} (${c.proc.name}) to receive "${event}" ${JSON.stringify(args)}; got ${JSON.stringify(received(c, event))}${evidence(mark)}`,
  );
}

function isDeepEqual(a, b) {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

const count = (c, event, args) => received(c, event).filter((got) => isDeepEqual(got, args)).length;

function expectNone(c, event, args, mark) {
  assert.equal(
    count(c, event, args),
    0,
    `${c.label} (${c.proc.name}) must NOT receive "${event}" ${JSON.stringify(args)}${evidence(mark)}`,
  );
}

function expectOnce(c, event, args, mark) {
  assert.equal(
    count(c, event, args),
    1,
    `${c.label} (${c.proc.name}) must receive "${event}" ${JSON.stringify(args)} exactly once${evidence(mark)}`,
  );
}

// ---------------------------------------------------------------------------
// /chat
// ---------------------------------------------------------------------------

describe("chat rooms (/chat) across three processes", () => {
  let alice, bob, carol, dave;
  const entered = (name) => [`${name} has entered the room.`];
  const left = (name) => [`${name} has left the room.`];

  before(async () => {
    alice = await client(procs[0], "/chat", "Alice");
    bob = await client(procs[1], "/chat", "Bob");
    carol = await client(procs[2], "/chat", "Carol");
    dave = await client(procs[2], "/chat", "Dave");
  });
  after(() => {
    for (const c of [alice, bob, carol, dave]) c?.s.disconnect();
  });

  it("Alice (#1) joins lobby: she hears her own announcement, nobody else does", async () => {
    const mark = bus.mark();
    alice.s.emit("join", { username: "Alice", room: "lobby" });
    await expectGot(alice, "message", entered("Alice"), mark);
    await sleep(ABSENCE_WAIT_MS);
    for (const c of [bob, carol, dave]) expectNone(c, "message", entered("Alice"), mark);
  });

  it("Bob (#2) joins lobby: the announcement reaches Alice on #1", async () => {
    const mark = bus.mark();
    bob.s.emit("join", { username: "Bob", room: "lobby" });
    await expectGot(bob, "message", entered("Bob"), mark);
    await expectGot(alice, "message", entered("Bob"), mark);
    await sleep(ABSENCE_WAIT_MS);
    expectOnce(alice, "message", entered("Bob"), mark);
    expectOnce(bob, "message", entered("Bob"), mark);
    for (const c of [carol, dave]) expectNone(c, "message", entered("Bob"), mark);
  });

  it("Carol (#3) joins games: only she hears it; Dave (#3) joins lobby: Alice (#1) and Bob (#2) hear it, Carol does not", async () => {
    let mark = bus.mark();
    carol.s.emit("join", { username: "Carol", room: "games" });
    await expectGot(carol, "message", entered("Carol"), mark);
    await sleep(ABSENCE_WAIT_MS);
    for (const c of [alice, bob, dave]) expectNone(c, "message", entered("Carol"), mark);

    mark = bus.mark();
    dave.s.emit("join", { username: "Dave", room: "lobby" });
    for (const c of [dave, alice, bob]) await expectGot(c, "message", entered("Dave"), mark);
    await sleep(ABSENCE_WAIT_MS);
    for (const c of [dave, alice, bob]) expectOnce(c, "message", entered("Dave"), mark);
    expectNone(carol, "message", entered("Dave"), mark);
  });

  it("Alice (#1) chats in lobby: Bob (#2) and Dave (#3) get {username: 'Alice', text}, Carol (#3, games) does not", async () => {
    const mark = bus.mark();
    const text = `hello lobby ${Date.now()}`;
    const args = [{ username: "Alice", text }];
    alice.s.emit("chat", { room: "lobby", text });
    for (const c of [bob, dave, alice]) await expectGot(c, "chat", args, mark);
    await sleep(ABSENCE_WAIT_MS);
    for (const c of [bob, dave, alice]) expectOnce(c, "chat", args, mark);
    expectNone(carol, "chat", args, mark);
  });

  it("Carol (#3) chats in games: nobody in lobby gets it, on any process", async () => {
    const mark = bus.mark();
    const text = `hello games ${Date.now()}`;
    const args = [{ username: "Carol", text }];
    carol.s.emit("chat", { room: "games", text });
    await expectGot(carol, "chat", args, mark);
    await sleep(ABSENCE_WAIT_MS);
    expectOnce(carol, "chat", args, mark);
    for (const c of [alice, bob, dave]) expectNone(c, "chat", args, mark);
  });

  it("Bob (#2) leaves lobby: Alice (#1) and Dave (#3) see 'Bob has left the room.'; then Alice's chat no longer reaches Bob", async () => {
    let mark = bus.mark();
    bob.s.emit("leave", { username: "Bob", room: "lobby" });
    for (const c of [alice, dave, bob]) await expectGot(c, "message", left("Bob"), mark);
    await sleep(ABSENCE_WAIT_MS);
    for (const c of [alice, dave, bob]) expectOnce(c, "message", left("Bob"), mark);
    expectNone(carol, "message", left("Bob"), mark);

    mark = bus.mark();
    const text = `after Bob left ${Date.now()}`;
    const args = [{ username: "Alice", text }];
    alice.s.emit("chat", { room: "lobby", text });
    for (const c of [alice, dave]) await expectGot(c, "chat", args, mark);
    await sleep(ABSENCE_WAIT_MS);
    expectNone(bob, "chat", args, mark);
    expectNone(carol, "chat", args, mark);
  });

  it("a chat message with unicode and quotes crosses unchanged", async () => {
    const mark = bus.mark();
    const text = 'héllo "wörld" ✓ 🎲 \\ # <b>';
    alice.s.emit("chat", { room: "lobby", text });
    await expectGot(dave, "chat", [{ username: "Alice", text }], mark);
  });
});

// ---------------------------------------------------------------------------
// /user
// ---------------------------------------------------------------------------

describe("new users (/user) across three processes: acks gathered from every process", () => {
  const users = [];
  after(() => {
    for (const u of users) u.s.disconnect();
    users.length = 0;
  });

  /** A /user client that acknowledges every `new-user` with its name, as the chat page does (or
   * not, with ackNewUser false). */
  async function userClient(proc, label, { ackNewUser = true } = {}) {
    const c = await client(proc, "/user", label, (s) =>
      s.on("new-user", (user, callback) => {
        if (ackNewUser) {
          assert.equal(typeof callback, "function", `${label}: new-user asks for an ack`);
          callback(label);
        }
      }),
    );
    users.push(c);
    return c;
  }

  it("a user on #3 connects: clients on #1 and #2 (and #3) get new-user, seen-by counts every /user client of the three processes", async () => {
    const u1 = await userClient(procs[0], "u1 (#1)");
    const u1b = await userClient(procs[0], "u1b (#1)");
    const u2 = await userClient(procs[1], "u2 (#2)");
    const erin = await userClient(procs[2], "Erin (#3)");
    const mark = bus.mark();
    const started = Date.now();
    erin.s.emit("user-connected", { username: "Erin" });
    const [[seen]] = await erin.rec.waitFor("seen-by", 1, 4000).catch((err) => {
      throw new Error(`Erin: ${err.message}${evidence(mark)}`);
    });
    const took = Date.now() - started;
    for (const c of [u1, u1b, u2, erin]) {
      const got = c.rec.of("new-user").map((args) => args.filter((a) => typeof a !== "function"));
      assert.deepEqual(got, [[{ username: "Erin" }]], `${c.label} gets new-user {username: "Erin"} once${evidence(mark)}`);
    }
    const names = [u1, u1b, u2, erin].map((c) => c.label).sort();
    assert.deepEqual(
      { ...seen, users: [...seen.users].sort() },
      { count: 4, users: names },
      `seen-by counts and names the 4 /user clients on the 3 processes (took ${took} ms)${evidence(mark)}`,
    );
    await sleep(ABSENCE_WAIT_MS);
    for (const c of [u1, u1b, u2]) assert.deepEqual(c.rec.of("seen-by"), [], `${c.label}: seen-by goes to the new user only`);
    assert.equal(erin.rec.of("seen-by").length, 1, "Erin gets seen-by once");
    // every client acked: no waiting for the 2 s timeout
    assert.ok(took < 1500, `seen-by after ${took} ms: the acks of all clients should end the wait, not the 2 s timeout${evidence(mark)}`);
  });

  it("a client that does not ack is not counted: seen-by comes after the 2 s timeout with the others' count", async () => {
    const quiet = await userClient(procs[1], "quiet (#2)", { ackNewUser: false });
    const frank = await userClient(procs[0], "Frank (#1)");
    const mark = bus.mark();
    const started = Date.now();
    frank.s.emit("user-connected", { username: "Frank" });
    const [[seen]] = await frank.rec.waitFor("seen-by", 1, 4500).catch((err) => {
      throw new Error(`Frank: ${err.message}${evidence(mark)}`);
    });
    const took = Date.now() - started;
    assert.ok(took >= 1800, `seen-by after ${took} ms: it waits for the silent client until the 2 s timeout`);
    await waitUntil(() => quiet.rec.of("new-user").length === 1, 1000, "quiet gets new-user");
    // users: u1, u1b, u2, Erin (from the previous test), quiet, Frank: all but quiet ack
    const names = users.filter((c) => c !== quiet).map((c) => c.label).sort();
    assert.deepEqual(
      { ...seen, users: [...seen.users].sort() },
      { count: users.length - 1, users: names },
      `seen-by counts and names the ${users.length - 1} clients that acked${evidence(mark)}`,
    );
  });
});

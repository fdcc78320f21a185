// A Flask-SocketIO process (python-socketio's JSON queue, `SocketIO(message_queue=...)` with
// no web app) reaches the clients of two ferrio members that accept its queue
// (`Redis::accept_python_queue`, testapp with PYTHON_QUEUE=flask-socketio): emits to all,
// rooms, socket ids, with skip_sid, several arguments, none, binary, another namespace;
// enter_room / leave_room / close_room / disconnect of ferrio sockets. What is not
// python-socketio's JSON (a pickle, garbage) is logged and skipped.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startCluster,
  runFlask,
  ack,
  io,
  connected,
  recorder,
  sleep,
  waitUntil,
  freshEvent,
  normalizeBinary,
  withTimeout,
  ABSENCE_WAIT_MS,
} from "./harness.mjs";

const CHANNEL = "flask-socketio";

describe("a Flask-SocketIO process on the queue reaches the clients of two ferrio members", () => {
  let cluster, A, B, a1, a2, b1, b2, all;
  before(async () => {
    // The queue reader's skips at debug level too: warnings are only the first and every
    // thousandth of them.
    const env = { PYTHON_QUEUE: CHANNEL, RUST_LOG: "info,ferrio::adapter::redis::python_queue=debug" };
    cluster = await startCluster(["ferrio", "ferrio"], { env: { ferrio: env } });
    [A, B] = cluster.members;
    a1 = await A.client("a1");
    a2 = await A.client("a2");
    b1 = await B.client("b1");
    b2 = await B.client("b2", { transports: ["polling"], upgrade: false });
    all = [a1, a2, b1, b2];
    await ack(a1.s, "join", ["py"]);
    await ack(b1.s, "join", ["py"]);
    await ack(b2.s, "join", ["other"]);
    await waitUntil(
      async () => (await cluster.redis.numsub(CHANNEL)) >= 2,
      3000,
      `both members to subscribe ${CHANNEL}`,
    );
  });
  after(async () => {
    await cluster?.stop();
  });

  /** Runs one emit from Flask and checks who got what. */
  async function emitFromFlask(op, yes, expectedArgs) {
    const event = freshEvent("py");
    const mark = cluster.bus.mark();
    await runFlask(cluster.redis, CHANNEL, [{ op: "emit", event, ...op }]);
    for (const c of yes) {
      await c.rec.waitFor(event, 1, 3000).catch((err) => {
        err.message += ` (${c.label})\nPub/Sub:\n${cluster.bus.describe(mark, { width: 300 })}`;
        throw err;
      });
    }
    await sleep(ABSENCE_WAIT_MS);
    for (const c of all) {
      const got = c.rec.of(event);
      if (yes.includes(c)) {
        assert.deepEqual(normalizeBinary(got), [normalizeBinary(expectedArgs)], `what ${c.label} got`);
      } else {
        assert.deepEqual(got, [], `${c.label} is not addressed`);
      }
    }
  }

  it("an emit to everyone, with one argument", async () => {
    await emitFromFlask({ args: [{ a: 1 }] }, all, [{ a: 1 }]);
  });

  it("several arguments (a tuple), and none", async () => {
    await emitFromFlask({ args: [1, "two", [3]] }, all, [1, "two", [3]]);
    await emitFromFlask({ args: [] }, all, []);
  });

  it("to a room, to several rooms, to a socket id", async () => {
    await emitFromFlask({ args: ["r"], to: "py" }, [a1, b1], ["r"]);
    await emitFromFlask({ args: ["rs"], to: ["py", "other"] }, [a1, b1, b2], ["rs"]);
    await emitFromFlask({ args: ["sid"], to: b2.id }, [b2], ["sid"]);
  });

  it("with skip_sid, one or several", async () => {
    await emitFromFlask({ args: ["s1"], skip_sid: a1.id }, [a2, b1, b2], ["s1"]);
    await emitFromFlask({ args: ["s2"], to: "py", skip_sid: [b1.id, a2.id] }, [a1], ["s2"]);
  });

  it("binary arguments arrive as binary", async () => {
    await emitFromFlask(
      { args: [{ name: "f", data: { $bytes: [0, 1, 255] } }, { $bytes: [7] }] },
      all,
      [{ name: "f", data: Buffer.from([0, 1, 255]) }, Buffer.from([7])],
    );
  });

  it("to another namespace", async () => {
    const admins = [];
    for (const member of [A, B]) {
      const s = io(`${member.url}/admin`, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { role: "admin" } });
      member.clients.add(s);
      await connected(s);
      admins.push({ s, rec: recorder(s) });
    }
    const event = freshEvent("py-admin");
    await runFlask(cluster.redis, CHANNEL, [{ op: "emit", event, args: ["ops"], namespace: "/admin" }]);
    for (const admin of admins) assert.deepEqual(await admin.rec.waitFor(event, 1, 3000), [["ops"]]);
    await sleep(ABSENCE_WAIT_MS);
    for (const c of all) assert.deepEqual(c.rec.of(event), [], `${c.label} (namespace /) is not addressed`);
    for (const admin of admins) admin.s.disconnect();
  });

  it("enter_room and leave_room move a ferrio socket; close_room empties a room on both members", async () => {
    const room = freshEvent("py-room");
    await runFlask(cluster.redis, CHANNEL, [
      { op: "enter_room", sid: a2.id, room },
      { op: "enter_room", sid: b2.id, room },
    ]);
    for (const c of [a2, b2]) {
      await waitUntil(async () => (await ack(c.s, "rooms")).includes(room), 3000, `${c.label} to be in ${room}`);
    }
    await emitFromFlask({ args: ["in"], to: room }, [a2, b2], ["in"]);
    await runFlask(cluster.redis, CHANNEL, [{ op: "leave_room", sid: a2.id, room }]);
    await waitUntil(async () => !(await ack(a2.s, "rooms")).includes(room), 3000, `a2 to leave ${room}`);
    await emitFromFlask({ args: ["left"], to: room }, [b2], ["left"]);
    await runFlask(cluster.redis, CHANNEL, [{ op: "close_room", room: "py" }]);
    for (const c of [a1, b1]) {
      await waitUntil(async () => !(await ack(c.s, "rooms")).includes("py"), 3000, `${c.label} to leave py`);
    }
  });

  it("disconnect disconnects that ferrio socket only", async () => {
    const victim = await B.client("victim");
    const reason = new Promise((resolve) => victim.s.on("disconnect", resolve));
    const mark = cluster.bus.mark();
    await runFlask(cluster.redis, CHANNEL, [{ op: "disconnect", sid: victim.id }]);
    const got = await withTimeout(reason, 3000, `victim to be disconnected\nPub/Sub:\n${cluster.bus.describe(mark)}`);
    assert.equal(got, "io server disconnect");
    await sleep(ABSENCE_WAIT_MS);
    for (const c of all) assert.equal(c.s.connected, true, `${c.label} stays connected`);
  });

  it("a pickle, garbage and unknown methods are logged and skipped; the queue still works", async () => {
    const pickle = Buffer.from("80049525000000000000007d94288c066d6574686f64948c04656d697494752e", "hex");
    for (const junk of [pickle, "{not json", '{"method": "exec", "code": "import os"}', '{"method": "emit"}']) {
      await cluster.redis.client.publish(CHANNEL, junk);
    }
    await emitFromFlask({ args: ["still"] }, all, ["still"]);
    for (const m of cluster.members) {
      m.assertAlive();
      const log = m.stdout + m.stderr;
      assert.match(log, /skipped a python-socketio queue message/, `${m.name} logs the skips`);
      assert.match(log, /not JSON/, `${m.name} says the pickle is not JSON`);
      assert.match(log, /key must be a string|expected/, `${m.name} says the garbage is not JSON`);
      assert.match(log, /unknown variant `exec`/, `${m.name} names the unknown method`);
      assert.match(log, /missing field `event`/, `${m.name} says the emit lacks its event`);
    }
  });
});

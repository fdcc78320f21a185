// The equivalence suite through the real socket.io-client: every scenario of
// tests/equivalence/scenarios.json, each against a fresh `equivapp` (the server of
// tests/src/equivalence.rs), held to the expected results that ferrio's in-process TestClient
// is held to in tests/tests/equivalence.rs. Binary is {"$binary": "<hex>"}.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startServer, sleep, waitEvent } from "./harness.mjs";

const { scenarios } = JSON.parse(
  readFileSync(new URL("../equivalence/scenarios.json", import.meta.url), "utf8"),
);
const NAMESPACE = "/eq";
const WAIT_MS = 2000;

const toArg = (value) =>
  value && typeof value === "object" && typeof value.$binary === "string"
    ? Buffer.from(value.$binary, "hex")
    : value;

const fromArg = (value) =>
  Buffer.isBuffer(value) || value instanceof ArrayBuffer || ArrayBuffer.isView(value)
    ? { $binary: Buffer.from(value).toString("hex") }
    : value;

/** A connected client's queue of events, in order, each with its ack callback if any. */
function queueOf(socket) {
  const events = [];
  const waiters = [];
  socket.onAny((name, ...args) => {
    const ack = typeof args.at(-1) === "function" ? args.pop() : null;
    events.push({ name, args, ack });
    waiters.splice(0).forEach((wake) => wake());
  });
  return {
    async next(what) {
      const deadline = Date.now() + WAIT_MS;
      while (events.length === 0) {
        if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms awaiting ${what}`);
        await new Promise((wake) => {
          waiters.push(wake);
          setTimeout(wake, 50);
        });
      }
      return events.shift();
    },
    pending: () => events.map((e) => e.name),
  };
}

async function run(srv, scenario) {
  const clients = new Map();
  const asked = new Map();
  for (const [number, step] of scenario.steps.entries()) {
    const where = `step ${number} (${JSON.stringify(step)})`;
    let got;
    if ("connect" in step) {
      const socket = srv.socket(NAMESPACE, { transports: ["websocket"], auth: step.connect });
      const queue = queueOf(socket);
      const outcome = await new Promise((resolve) => {
        socket.once("connect", () => resolve({ connected: true }));
        socket.once("connect_error", (err) =>
          resolve({ refused: { message: err.message, ...(err.data === undefined ? {} : { data: err.data }) } }),
        );
      });
      if (outcome.connected) clients.set(step.client, { socket, queue });
      got = outcome;
    } else {
      const client = clients.get(step.client);
      assert.ok(client, `${where}: no client ${step.client}`);
      const { socket, queue } = client;
      if ("emit" in step) {
        socket.emit(step.emit, ...step.args.map(toArg));
      } else if ("call" in step) {
        const reply = await new Promise((resolve, reject) =>
          socket.timeout(WAIT_MS).emit(step.call, ...step.args.map(toArg), (err, ...args) =>
            err ? reject(new Error(`${where}: ${err.message}`)) : resolve(args),
          ),
        );
        got = { ack: reply.map(fromArg) };
      } else if ("next" in step) {
        const event = await queue.next(`${where}: an event`);
        got = { event: event.name, args: event.args.map(fromArg) };
        if (event.ack) {
          got.wantsAck = true;
          asked.set(step.client, event.ack);
        }
      } else if ("answer" in step) {
        const answer = asked.get(step.client);
        assert.ok(answer, `${where}: nothing to answer`);
        asked.delete(step.client);
        answer(...step.answer.map(toArg));
      } else if ("nothing" in step) {
        await sleep(100);
        assert.deepEqual(queue.pending(), [], `${where}: nothing should arrive`);
      } else if ("disconnected" in step) {
        const [reason] = await waitEvent(socket, "disconnect", WAIT_MS, `${where}: the disconnection`);
        got = { reason };
      } else if ("disconnect" in step) {
        socket.disconnect();
        clients.delete(step.client);
      } else {
        throw new Error(`${where}: unknown step`);
      }
    }
    if (got !== undefined) assert.deepEqual(got, step.expect, where);
  }
}

describe("the equivalence scenarios, through socket.io-client", () => {
  for (const scenario of scenarios) {
    it(scenario.name, async (t) => {
      const srv = await startServer("equivapp", { t });
      await run(srv, scenario);
    });
  }
});

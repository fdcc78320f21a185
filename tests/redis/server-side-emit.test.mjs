// Server-side emit across a cluster (Node's request type 6), on ferrio + ferrio, on a mixed
// ferrio + Node + ferrio cluster, and on Node + Node as the control.
//
// - `server-side-emit` ({event, args}) sends `announce` to the other members; their listener
//   tells its own clients with `announced`. The sender's own listener does not hear it.
// - `server-side-call` ({event, args}) sends `ask` and waits for every other member's answer
//   (ferrio: `io.server_side_emit_with_ack`, Node: `io.serverSideEmitWithAck`); each member's
//   `ask` listener answers {member, args}.
// - `node-only` has listeners on Node members only: a sender gets the answers that came and an
//   error that counts them, after its requests timeout (ferrio: `Err(Incomplete)`).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCluster, ack, ackWithin, sleep, waitUntil, ABSENCE_WAIT_MS } from "./harness.mjs";
import { NODE_ENV, NODE_REQUESTS_TIMEOUT_MS } from "./suites.mjs";

const FERRIO_REQUESTS_TIMEOUT_MS = 1000;
const byJson = (list) => [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

function serverSideEmitSuite(kinds) {
  describe(`server-side emit across ${kinds.join(" + ")}`, () => {
    let cluster;
    before(async () => {
      cluster = await startCluster(kinds, { env: { node: NODE_ENV, ferrio: { REQUESTS_TIMEOUT_MS: FERRIO_REQUESTS_TIMEOUT_MS } } });
    });
    after(async () => {
      await cluster?.stop();
    });
    const evidence = (mark) => `\nPub/Sub traffic since the call:\n${cluster.bus.describe(mark)}`;

    for (let from = 0; from < kinds.length; from++) {
      describe(`sent by ${kinds[from]} (member ${from})`, () => {
        it("reaches every other member's listener, not the sender's", async () => {
          const clients = [];
          for (const [i, member] of cluster.members.entries()) clients.push(await member.client(`c${i}`));
          const heard = clients.map(() => []);
          clients.forEach((c, i) => c.s.on("announced", (...args) => heard[i].push(args)));
          const mark = cluster.bus.mark();
          const args = ["maintenance", 5, { at: "02:00" }];
          assert.equal(await ack(clients[from].s, "server-side-emit", { event: "announce", args }), "done");
          for (const [i, c] of clients.entries()) {
            if (i === from) continue;
            await waitUntil(() => heard[i].length > 0, 3000, `the clients of member ${i} to be told`).catch((err) => {
              throw new Error(`${err.message}${evidence(mark)}`);
            });
            assert.deepEqual(heard[i], [args], `what member ${i} (${c.member.kind}) told its client`);
          }
          await sleep(ABSENCE_WAIT_MS);
          assert.deepEqual(heard[from], [], "the sender's own listener does not hear it");
          for (const [i, c] of clients.entries()) {
            if (i !== from) assert.deepEqual(heard[i], [args], `member ${i} (${c.member.kind}) was told once`);
          }
          for (const c of clients) c.s.disconnect();
        });

        it("forty events from one member reach every other member's listener in the order sent", async () => {
          const clients = [];
          for (const [i, member] of cluster.members.entries()) clients.push(await member.client(`o${i}`));
          const heard = clients.map(() => []);
          clients.forEach((c, i) => c.s.on("announced", (n) => heard[i].push(n)));
          const sent = Array.from({ length: 40 }, (_, n) => n);
          await Promise.all(sent.map((n) => ack(clients[from].s, "server-side-emit", { event: "announce", args: [n] })));
          for (const [i, c] of clients.entries()) {
            if (i === from) continue;
            await waitUntil(() => heard[i].length >= sent.length, 5000, `member ${i} to hear all 40`);
            await sleep(ABSENCE_WAIT_MS);
            assert.deepEqual(heard[i], sent, `what member ${i} (${c.member.kind}) told its client, in order`);
          }
          for (const c of clients) c.s.disconnect();
        });

        it("with an ack, gathers one answer from every other member", async () => {
          const caller = await cluster.members[from].client("caller");
          const mark = cluster.bus.mark();
          const args = [1, "two", { three: [3] }];
          const t0 = Date.now();
          const result = await ackWithin(NODE_REQUESTS_TIMEOUT_MS + 8000, caller.s, "server-side-call", { event: "ask", args });
          const elapsed = Date.now() - t0;
          const expected = byJson(kinds.filter((_, i) => i !== from).map((member) => ({ member, args })));
          assert.deepEqual(result, { responses: expected, error: null }, `answers after ${elapsed} ms${evidence(mark)}`);
          assert.ok(elapsed < NODE_REQUESTS_TIMEOUT_MS, `answered after ${elapsed} ms: waited for a timeout${evidence(mark)}`);
          caller.s.disconnect();
        });

        it("to an event only Node members listen to: the answers that came, and an error for the missing", async () => {
          const caller = await cluster.members[from].client("caller");
          const mark = cluster.bus.mark();
          const others = kinds.filter((_, i) => i !== from);
          const answering = others.filter((kind) => kind === "node");
          const timeout = kinds[from] === "node" ? NODE_REQUESTS_TIMEOUT_MS : FERRIO_REQUESTS_TIMEOUT_MS;
          const t0 = Date.now();
          const result = await ackWithin(timeout + 5000, caller.s, "server-side-call", { event: "node-only", args: [] });
          const elapsed = Date.now() - t0;
          assert.deepEqual(result.responses, answering.map(() => ({ member: "node" })), `the answers that came${evidence(mark)}`);
          if (answering.length === others.length) {
            assert.equal(result.error, null, `every other member answered${evidence(mark)}`);
          } else {
            assert.equal(typeof result.error, "string", `an error says some did not answer: ${JSON.stringify(result)}`);
            assert.match(result.error, new RegExp(`${answering.length}\\D.*${others.length}`), "the error counts the answers");
            assert.ok(elapsed >= timeout - 50, `the error came after the requests timeout (${elapsed} ms)`);
          }
          caller.s.disconnect();
        });
      });
    }

    it("members are still alive", () => {
      for (const m of cluster.members) m.assertAlive();
    });
  });
}

serverSideEmitSuite(["ferrio", "ferrio"]);
serverSideEmitSuite(["ferrio", "node", "ferrio"]);
serverSideEmitSuite(["node", "node"]);

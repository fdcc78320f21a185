// Dispatch round trips through an #[on] handler and a hand-registered one, both ways.
// Usage: cargo build --release -p ferrio-examples --bin dispatch_bench
//        node tests/bench/dispatch.mjs [target/release/dispatch_bench] [rounds]
// Prints the mean round trip of each, over one WebSocket connection, after a warm-up.
import { spawn } from "node:child_process";
import { io } from "socket.io-client";

const bin = process.argv[2] ?? "target/release/dispatch_bench";
const rounds = Number(process.argv[3] ?? 20000);
const server = spawn(bin, [], { env: { ...process.env, PORT: "0" } });
const url = await new Promise((resolve, reject) => {
  server.stdout.setEncoding("utf8").on("data", (chunk) => {
    const m = /listening on (http:\/\/\S+)/.exec(chunk);
    if (m) resolve(m[1]);
  });
  server.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
});

async function connect(nsp) {
  const socket = io(`${url}${nsp}`, { transports: ["websocket"], forceNew: true });
  socket.on("pong", (i, ack) => ack(i));
  await new Promise((resolve) => socket.once("connect", resolve));
  return socket;
}

async function clientToServer(socket, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await socket.emitWithAck("ping", i);
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}

async function serverToClient(socket, n) {
  const micros = await socket.emitWithAck("call", n);
  return micros / n;
}

const results = {};
for (const nsp of ["/dsl", "/manual", "/dsl", "/manual"]) {
  const socket = await connect(nsp);
  await clientToServer(socket, 2000);
  await serverToClient(socket, 2000);
  const c2s = await clientToServer(socket, rounds);
  const s2c = await serverToClient(socket, rounds);
  (results[nsp] ??= []).push({ c2s, s2c });
  socket.disconnect();
}
for (const [nsp, runs] of Object.entries(results)) {
  const mean = (key) => (runs.reduce((sum, r) => sum + r[key], 0) / runs.length).toFixed(1);
  console.log(`${nsp.padEnd(8)} client->server->ack ${mean("c2s")} µs   server->client->ack ${mean("s2c")} µs   (${rounds} rounds x ${runs.length})`);
}
server.kill();

// Benchmark: broadcasts across servers through Redis.
// Usage (release build): cargo build --release -p ferrio-tests --bin testapp
//                        node tests/redis/bench.mjs [target/release] [count]
// For each pair of members (ferrio + ferrio, ferrio -> Node, Node -> ferrio, Node + Node as the
// reference), one client of member A broadcasts `count` events as fast as it can; one client of
// member B receives them. Prints the throughput at the receiver and the latency (sender's
// timestamp to receipt): median and p99, plus the same for a broadcast within one server.
import { startCluster } from "./harness.mjs";

const dir = process.argv[2] ?? "target/release";
const count = Number(process.argv[3] ?? 20000);
process.env.FERRIO_BIN_DIR = process.env.FERRIO_BIN_DIR ?? dir;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

async function run(kinds, label) {
  const cluster = await startCluster(kinds);
  try {
    const [a, b] = cluster.members;
    const sender = await a.client("sender");
    const receiver = await (kinds.length > 1 ? b : a).client("receiver");
    const latencies = [];
    let first = 0;
    const done = new Promise((resolve) => {
      receiver.s.on("tick", (i, sentAt) => {
        if (!first) first = performance.now();
        latencies.push(performance.now() + performance.timeOrigin - sentAt);
        if (latencies.length === count) resolve();
      });
    });
    // At most WINDOW broadcasts in flight: a receiver that falls 1024 frames behind is
    // disconnected as a slow client, by design.
    const WINDOW = 400;
    for (let i = 0; i < count; i++) {
      while (i - latencies.length >= WINDOW) await new Promise((r) => setTimeout(r, 1));
      sender.s.emit("broadcast", { event: "tick", args: [i, performance.now() + performance.timeOrigin] });
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`${label}: only ${latencies.length} of ${count} arrived`)), 60_000));
    await Promise.race([done, timeout]);
    const seconds = (performance.now() - first) / 1000;
    latencies.sort((x, y) => x - y);
    console.log(
      `${label.padEnd(22)} ${Math.round(count / seconds).toString().padStart(7)} broadcasts/s   latency p50 ${percentile(latencies, 50).toFixed(2)} ms   p99 ${percentile(latencies, 99).toFixed(2)} ms`,
    );
  } finally {
    await cluster.stop();
  }
}

await run(["ferrio"], "ferrio (one server)");
await run(["ferrio", "ferrio"], "ferrio -> ferrio");
await run(["ferrio", "node"], "ferrio -> Node");
await run(["node", "ferrio"], "Node -> ferrio");
await run(["node", "node"], "Node -> Node");
process.exit(0);

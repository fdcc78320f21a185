// The broadcast suite on clusters whose members all use the Redis Streams adapter
// (REDIS_ADAPTER=streams: Node's @socket.io/redis-streams-adapter 0.3.1, or ferrio's
// wire-compatible one): Node + Node (the control), ferrio + ferrio, ferrio + Node. Broadcasts
// travel as entries of the stream `socket.io`, not on Pub/Sub.
import { broadcastSuite } from "./suites.mjs";

for (const kinds of [["node", "node"], ["ferrio", "ferrio"], ["ferrio", "node"]]) {
  broadcastSuite(kinds, { adapter: "streams" });
}

// The request suite on clusters whose members all use the Redis Streams adapter
// (REDIS_ADAPTER=streams): Node + Node (the control), ferrio + ferrio, ferrio + Node.
// fetchSockets, serverSideEmit and broadcasts with acks travel on Pub/Sub
// (`socket.io#/#`, answers on `socket.io#/#<uid>#`), socketsJoin / socketsLeave /
// disconnectSockets on the stream. all-rooms is skipped: the streams protocol has no
// ALL_ROOMS request.
import { requestSuite } from "./suites.mjs";

for (const kinds of [["node", "node"], ["ferrio", "ferrio"], ["ferrio", "node"]]) {
  requestSuite(kinds, { adapter: "streams" });
}

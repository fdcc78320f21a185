// Control: the same broadcast checks on two Node members only. This is what
// @socket.io/redis-adapter itself does; it validates the harness and node-member.mjs, so a
// failure in the ferrio files is ferrio's, not the test's.
import { broadcastSuite } from "./suites.mjs";

broadcastSuite(["node", "node"]);

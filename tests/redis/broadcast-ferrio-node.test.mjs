// A ferrio member and a Node member (socket.io 4.8 + @socket.io/redis-adapter 8.3) on one
// Redis: broadcasts cross in both directions (ferrio client → Node clients, Node client →
// ferrio clients), binary included.
import { broadcastSuite } from "./suites.mjs";

broadcastSuite(["ferrio", "node"]);

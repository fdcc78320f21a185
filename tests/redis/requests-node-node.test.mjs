// Control: the request checks on two Node members only (what @socket.io/redis-adapter does).
import { requestSuite } from "./suites.mjs";

requestSuite(["node", "node"]);

// Two ferrio members (testapp with REDIS_URL) on one Redis: broadcasts sent by a client of one
// member reach the right clients of the other (to all, rooms, except, includeSelf, socket ids,
// binary, value types, 200 in order), in both directions.
import { broadcastSuite } from "./suites.mjs";

broadcastSuite(["ferrio", "ferrio"]);

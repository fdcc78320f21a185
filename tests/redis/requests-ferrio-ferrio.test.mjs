// Requests across two ferrio members: room-sockets, close-room, disconnect-room, call-room.
import { requestSuite } from "./suites.mjs";

requestSuite(["ferrio", "ferrio"]);

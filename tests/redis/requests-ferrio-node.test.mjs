// Requests answered across a ferrio member and a Node member, both directions: room-sockets
// (Node fetchSockets must not time out), all-rooms on Node, close-room, disconnect-room and
// call-room (broadcast with acks).
import { requestSuite } from "./suites.mjs";

requestSuite(["ferrio", "node"]);

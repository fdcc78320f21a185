// socket.io-client (3+/4) helpers shared by the Node harnesses of tests/js/ and tests/redis/:
// they take the sockets each harness makes with its own copy of the client.

import { withTimeout } from "./events.mjs";

/** Wait until a socket is connected; reject with the connect_error. */
export function connected(socket, ms = 5000) {
  if (socket.connected) return Promise.resolve(socket);
  let onConnect, onError;
  const p = new Promise((resolve, reject) => {
    onConnect = () => resolve(socket);
    onError = (err) => {
      const e = new Error(`connect_error on ${socket.nsp}: ${err.message}`);
      e.cause = err;
      reject(e);
    };
    socket.once("connect", onConnect);
    socket.once("connect_error", onError);
  });
  return withTimeout(p, ms, `socket ${socket.nsp} to connect`).finally(() => {
    socket.off("connect", onConnect);
    socket.off("connect_error", onError);
  });
}

/** Emit with an acknowledgement; rejects with a clear message if no ack within `ms`. */
export async function ackWithin(ms, socket, event, ...args) {
  try {
    return await socket.timeout(ms).emitWithAck(event, ...args);
  } catch (err) {
    throw new Error(
      `no ack for "${event}" within ${ms} ms (socket ${socket.id ?? "?"} on ${socket.nsp}): ${err.message}`,
    );
  }
}

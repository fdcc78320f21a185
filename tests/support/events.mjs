// Bounded waiting and event recording, shared by the Node harnesses of tests/js/ and
// tests/redis/ (no dependency: each harness passes in the sockets of its own client).

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolve/reject like `promise`, but reject with `message` after `ms`. */
export function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${message}`)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

/** Poll `fn` (sync or async) until it returns a truthy value; return that value. */
export async function waitUntil(fn, ms, message, intervalMs = 20) {
  const deadline = Date.now() + ms;
  for (;;) {
    const last = await fn();
    if (last) return last;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${ms} ms: ${message}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * A log of received events: `record({name, args, ...})` adds one; `of(name)` lists the args
 * of each `name`; `waitFor(name, count, ms)` resolves with them once `count` came, or
 * rejects naming `who()` and everything received.
 */
export function eventLog(who) {
  const events = [];
  const waiters = new Set();
  const of = (name) => events.filter((e) => e.name === name).map((e) => e.args);
  return {
    events,
    of,
    record(event) {
      events.push(event);
      for (const w of waiters) w();
    },
    waitFor(name, count = 1, ms = 3000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (of(name).length >= count) {
            cleanup();
            resolve(of(name));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `timed out after ${ms} ms: ${who()} expected ${count} "${name}" event(s), ` +
                `got ${of(name).length}; all received: ${JSON.stringify(events.map((e) => e.name))}`,
            ),
          );
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Record every event a socket.io-client 3+/4 socket receives (through `onAny`). */
export function recorder(socket) {
  const log = eventLog(() => `socket ${socket.id}`);
  socket.onAny((name, ...args) => log.record({ name, args, at: Date.now() }));
  return log;
}

// Misuses of the clicker typings. Each line below a `@ts-expect-error` must fail to type-check;
// if the typings get looser (an `any`, a missing event, a wrong optional), that directive goes
// unused and tsc fails with TS2578, so `npx tsc -p . --noEmit` exits 0 only when all of them
// are still rejected.
import { io, Socket } from "socket.io-client";
import type { ClientToServerEvents, Equipment, ServerToClientEvents } from "./generated/clicker";

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io("http://localhost:3000");

// @ts-expect-error misspelled event name (the schema says `clickGold`)
socket.emit("clickgold");

// @ts-expect-error wrong payload type: `register` takes a string username
socket.emit("register", 42);

// @ts-expect-error missing payload
socket.emit("register");

// @ts-expect-error extra argument
socket.emit("register", "alice", "bob");

// @ts-expect-error extra argument to an event without payload
socket.emit("clickGold", 1);

// @ts-expect-error an equipment that is not in the union `"shovel" | "excavator"`
socket.emit("buy", "sword", () => {});

// @ts-expect-error serde renamed the variants to lowercase
const wrongCase: Equipment = "Shovel";
void wrongCase;

// @ts-expect-error `buy` has an acknowledgement: emit needs the callback (TS2554)
socket.emit("buy", "shovel");

// @ts-expect-error the acknowledgement has no field `price`
socket.emit("buy", "shovel", (ack) => ack.price);

// @ts-expect-error the acknowledgement callback takes a Purchase, not a string
socket.emit("buy", "excavator", (ack: string) => ack);

async function acks(): Promise<void> {
  // @ts-expect-error emitWithAck resolves to a Purchase, not a string
  const receipt: string = await socket.emitWithAck("buy", "shovel");
  void receipt;

  // @ts-expect-error `register` has no acknowledgement: its one argument is taken as the callback
  await socket.emitWithAck("register", "alice");
}
void acks;

// @ts-expect-error emitting a server-to-client event from the client
socket.emit("gameState", { username: "a", gold: 0, equipment: { shovel: 0, excavator: 0 }, goldPerSecond: 0 });

// @ts-expect-error listening to a client-to-server event
socket.on("register", (username: string) => username);

// @ts-expect-error misspelled event in a listener
socket.on("goldclicked", (message: string) => message);

// @ts-expect-error the field is `goldPerSecond` (serde rename_all = "camelCase"), not `gold_per_second`
socket.on("gameState", (s) => s.gold_per_second);

// @ts-expect-error `gold` is a number (u64 as a JSON number, not a bigint)
socket.on("gameState", (s) => s.gold.toString() + s.gold * 2n);

// @ts-expect-error listener with a wrong parameter type: goldClicked carries a string
socket.on("goldClicked", (message: number) => message);

// @ts-expect-error listener expecting a second argument the server does not send
socket.on("refused", (reason: string, code: number) => reason + code);

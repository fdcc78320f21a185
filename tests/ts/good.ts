// Every event of the clicker schema, used correctly: `tsc` must accept all of it.
// The typings come from ./generated/clicker.d.ts, which ferrio generates from the Rust schema.
import { io, Socket } from "socket.io-client";
import type {
  ClientToServerEvents,
  Equipment,
  GameState,
  Inventory,
  Purchase,
  ServerToClientEvents,
} from "./generated/clicker";

/** `true` only when A and B are the same type (`any` is equal to nothing else). */
type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<A, B>(check: Equals<A, B>): void {
  void check;
}

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io("http://localhost:3000");

// Client -> server.
socket.emit("register", "alice");
socket.emit("clickGold");
socket.emit("buy", "shovel", (ack) => {
  const bought: boolean = ack.bought;
  const gold: number = ack.gold;
  console.log(bought, gold.toFixed());
});
const equipment: Equipment[] = ["shovel", "excavator"];
for (const item of equipment) {
  socket.emit("buy", item, (ack: Purchase) => console.log(ack.bought));
}

async function shop(): Promise<number> {
  const purchase = await socket.emitWithAck("buy", "shovel");
  assertType<typeof purchase, Purchase>(true);

  const later: Purchase = await socket.timeout(1000).emitWithAck("buy", "excavator");

  socket.timeout(1000).emit("buy", "shovel", (err, ack) => {
    if (err) {
      console.error(err.message);
    } else {
      console.log(ack.bought, ack.gold);
    }
  });
  return purchase.gold + later.gold;
}
void shop();

// Server -> client.
socket.on("gameState", (s) => {
  assertType<typeof s, GameState>(true);
  const inventory: Inventory = s.equipment;
  console.log(s.username.toUpperCase(), s.gold, s.goldPerSecond.toFixed(), inventory.shovel + inventory.excavator);
});
socket.on("goldClicked", (message) => console.log(message.length));
socket.once("refused", (reason: string) => console.warn(reason));
socket.off("gameState");

// socket.io's own events stay typed too.
socket.on("connect", () => console.log(socket.id));
socket.on("connect_error", (err) => console.error(err.message));
socket.on("disconnect", (reason) => console.log(reason));

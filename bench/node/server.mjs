// The Node socket.io server of the benchmark suite: the behaviour of bench/servers, with
// socket.io's default options. Listens on 127.0.0.1:$PORT (0, or unset, picks a free port)
// and prints `listening on http://127.0.0.1:PORT` once it does.
import { createServer } from "node:http";
import { Server } from "socket.io";

const httpServer = createServer();
const io = new Server(httpServer);

io.on("connection", (socket) => {
  // Acknowledged with the arguments it came with, binary included.
  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("broadcast", (data) => io.emit("bc", data));
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack(room);
  });
  socket.on("room-broadcast", (room, data) => io.to(room).emit("bc", data));
});

httpServer.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const { port } = httpServer.address();
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});

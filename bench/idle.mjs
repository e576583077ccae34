// Opens N idle Socket.IO connections (WebSocket) to a server and holds them, for memory
// profiling: node bench/idle.mjs URL TOKEN N SECONDS
import { io } from "socket.io-client";
const [url, token, n = "1000", secs = "20"] = process.argv.slice(2);
const sockets = [];
for (let i = 0; i < Number(n); i += 100) {
  await Promise.all(
    Array.from({ length: Math.min(100, Number(n) - i) }, () =>
      new Promise((resolve, reject) => {
        const s = io(url, { auth: { token }, transports: ["websocket"], reconnection: false });
        s.on("connect", resolve);
        s.on("connect_error", reject);
        sockets.push(s);
      }),
    ),
  );
}
console.log(`${sockets.length} idle connections open`);
await new Promise((r) => setTimeout(r, Number(secs) * 1000));
sockets.forEach((s) => s.close());
process.exit(0);

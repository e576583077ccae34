import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The Rust server serves dist/ at / and the API and Socket.IO on the same origin; in
// `npm run dev`, Vite proxies both to a server on :3001.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/api": "http://127.0.0.1:3001",
      "/socket.io": { target: "http://127.0.0.1:3001", ws: true },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
});

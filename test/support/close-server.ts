/** Stops a test server: no new connections, open ones closed, resolved once it has stopped. */
import type { Server } from "node:http";

export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
    server.closeAllConnections();
  });
}

// A real HTTP server on 127.0.0.1 for a test file: started with its handler, stopped with every
// connection it still holds (a test may leave one hanging on purpose).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestHttpServer {
  /** http://127.0.0.1:<port>, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

export async function startHttpServer(handler: http.RequestListener): Promise<TestHttpServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

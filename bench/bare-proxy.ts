// The floor under any gateway: a proxy that does nothing but forward. node:http in, an undici pool
// out, the body passed through unread, the upstream's answer sent back whole. No auth, routing,
// validation, metering, billing, logs or metrics. The benchmark drives it like the gateways, so the
// table shows what HTTP in and out costs on this machine, apart from what Switchyard adds to it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { MOCK_API_KEY } from './fixtures';

const upstream = new URL(process.argv[2]!);
const pool = new Pool(upstream.origin, { connections: 128 });
const path = `${upstream.pathname}/chat/completions`;

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    pool
      .request({ method: 'POST', path, headers: { authorization: `Bearer ${MOCK_API_KEY}`, 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
      .then(async (answer) => {
        const body = Buffer.from(await answer.body.arrayBuffer());
        res.writeHead(answer.statusCode, { 'content-type': 'application/json', 'content-length': body.length });
        res.end(body);
      })
      .catch(() => {
        res.writeHead(502).end();
      });
  });
});

server.listen(0, '127.0.0.1', () => process.send?.({ ready: true, port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

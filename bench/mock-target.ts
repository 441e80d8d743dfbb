/**
 * The bench's target: a bare node:http server on 127.0.0.1 that answers every request after a
 * fixed delay, like a CRM or a broker that takes `delay` ms to think. It runs in its own process
 * so its work does not count against the runtime's CPU or memory.
 *
 * - `POST /api/orders` → `{ "status": "ok", "order_id": "M<n>" }` (what the demo send flow expects)
 * - `POST /register`   → `{ "user_id": "U<n>", "login": "https://broker.test/login?u=U<n>" }`
 * - `GET /status?ids=E1,E2` → `{ "orders": [{ "order_id": "E1", "status": "processing" }, …] }`,
 *   every tenth order (by its number) `confirmed` (a status check's answer)
 * - `GET /stats`       → `{ "requests": <count> }`, answered at once
 *
 * Started by the bench harness (`bench/harness.ts`) with `--delay MS`; prints `{"url": "..."}` on its first stdout line.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const delayArg = process.argv.indexOf('--delay');
const delayMs = delayArg > 0 ? Number(process.argv[delayArg + 1]) : 5;

let requests = 0;

function statuses(url: string) {
  const ids = (new URL(url, 'http://127.0.0.1').searchParams.get('ids') ?? '').split(',').filter(Boolean);
  return { orders: ids.map((id) => ({ order_id: id, status: Number(id.replace(/\D/g, '')) % 10 === 0 ? 'confirmed' : 'processing' })) };
}
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requests }));
    return;
  }
  const n = ++requests;
  // the body is read (a real target parses it) but not looked at
  req.on('data', () => {});
  req.on('end', () => {
    setTimeout(() => {
      const body =
        req.url === '/register'
          ? { user_id: `U${n}`, login: `https://broker.test/login?u=U${n}` }
          : req.url?.startsWith('/status')
            ? statuses(req.url)
            : { status: 'ok', order_id: `M${n}` };
      const text = JSON.stringify(body);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    }, delayMs);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}` }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));

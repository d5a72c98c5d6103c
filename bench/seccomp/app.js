// The Node HTTP app bench/seccomp records and replays: a few routes that touch the file system,
// crypto, timers and JSON, and a clean exit on SIGTERM.
const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const send = (code, body) => { res.writeHead(code, { 'content-type': 'text/plain' }); res.end(body); };
  if (url.pathname === '/') return send(200, 'ok');
  if (url.pathname === '/json') return send(200, JSON.stringify({ n: Number(url.searchParams.get('n') ?? 1), items: Array.from({ length: 50 }, (_, i) => i) }));
  if (url.pathname === '/hash') return send(200, crypto.createHash('sha256').update(url.searchParams.get('s') ?? '').digest('hex'));
  if (url.pathname === '/file') return fs.readFile(__filename, 'utf8', (e, t) => (e ? send(500, String(e)) : send(200, String(t.length))));
  if (url.pathname === '/echo' && req.method === 'POST') {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    return req.on('end', () => send(200, Buffer.concat(parts).toString('utf8').toUpperCase()));
  }
  if (url.pathname === '/later') return setTimeout(() => send(200, 'later'), 20);
  send(404, 'no');
});
server.listen(8080, '0.0.0.0');
process.on('SIGTERM', () => server.close(() => process.exit(0)));

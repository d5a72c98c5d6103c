// What hot reload's engine tests and bench/reload share: the apps they run in dev containers (a
// Node HTTP server, a Flask app), a GET that never throws, and a wait until a container serves a
// given body, asking back-to-back (the bench times it; the tests wait on it).
import * as http from 'node:http';

/** A Node server answering `msg` on port 3000; prints "serving MSG" once it listens. */
export const nodeServer = (msg: string) => `require('http').createServer((q, s) => s.end(${JSON.stringify(msg)})).listen(3000, () => console.log('serving ${msg}'));\n`;

/** A Flask app answering `msg` on /. */
export const flaskApp = (msg: string) => `from flask import Flask\napp = Flask(__name__)\n\n@app.route("/")\ndef index():\n    return ${JSON.stringify(msg)}\n`;

/** GET / on host:port: the body, or "error ..." when nothing (or a server breaking off mid-response) answers. */
export function get(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    // settles once: a body, or the error when the server breaks off (a restart mid-response)
    let done = false;
    const settle = (v: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(v);
    };
    const timer = setTimeout(() => (req.destroy(), settle('error timeout')), 2000);
    const req = http.get({ host, port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => settle(body));
      res.on('error', () => settle('error response'));
      res.on('close', () => settle(res.complete ? body : 'error closed'));
    });
    req.on('error', (e: NodeJS.ErrnoException) => settle(`error ${e.code ?? e.message}`));
  });
}

/** Resolves once host:port answers `want`, asking back-to-back (or `gapMs` apart); throws after `ms` naming what it got last. */
export async function serves(host: string, port: number, want: string, ms = 20_000, gapMs = 0): Promise<void> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    last = await get(host, port);
    if (last === want) return;
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
  }
  throw new Error(`${host}:${port} did not serve ${JSON.stringify(want)} within ${ms} ms (last answer: ${JSON.stringify(last.slice(0, 200))})`);
}

// A stand-in for a host web app that embeds Token Console, with no dependencies:
//
//   node examples/host-server.mjs [--port 8090] [--service http://127.0.0.1:8080] [--dist dist]
//                                 [--host-key-file FILE]
//
// It serves the example host pages, the panel's built files under /token-console/, and proxies
// the token service's paths to it (at the root for /api, /oauth2 and /.well-known, and again
// under /svc/ to show a host that mounts the service under a prefix), the way a host's reverse
// proxy would, so panels mounted into its pages call the service on the host's own origin.
// Its own pages carry a strict CSP of their own: the panel needs no relaxation from its host.
//
// With --host-key-file (a host key from `token-server host-key create --origin <this origin>`,
// read at each use), it signs its people in to the panel with no form: its backend asks the
// service for a one-time ticket for the person and hands it to the panel, as `data-ticket` in
// the data-attributes page, and through GET /host/ticket for mount() and for the iframe page
// (which posts it to the frame when the frame asks). Who is signed in to this stand-in host is
// the page's `?as=` (a real host knows from its own session). The host's origin is the one the
// browser used (`http://<Host header>`), so the pages work as 127.0.0.1 and as localhost: the
// iframe is cross-site to the service only in the second case.
import { createServer, request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const here = dirname(fileURLToPath(import.meta.url));
const port = Number(args.port ?? 8090);
const service = new URL(args.service ?? 'http://127.0.0.1:8080');
const dist = args.dist ?? join(here, '..', 'dist');
const extra = args.static; // an extra directory served under /static/ (the tests' fixtures)
const hostKeyFile = args['host-key-file'];

/** A one-time ticket for `email`, from the service, with the host key; '' without a key. */
async function ticketFor(email) {
  if (!hostKeyFile || !email) return '';
  let key;
  try { key = (await readFile(hostKeyFile, 'utf8')).trim(); } catch { return ''; }
  const answer = await fetch(new URL('/api/host/tickets', service), {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  return answer.ok ? (await answer.json()).ticket : '';
}

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
};
const csp = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'", "img-src 'self' data:",
  "connect-src 'self'", `frame-src ${service.origin}`, "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
].join('; ');

/** A file under `root`, or null when the path climbs out of it or nothing is there. */
async function file(root, path) {
  const full = normalize(join(root, decodeURIComponent(path)));
  if (!full.startsWith(normalize(root))) return null;
  try { return { body: await readFile(full), type: types[extname(full)] ?? 'application/octet-stream' }; } catch { return null; }
}

function proxy(req, res, path) {
  const upstream = request(
    { host: service.hostname, port: service.port, method: req.method, path, headers: { ...req.headers, host: service.host } },
    (answer) => { res.writeHead(answer.statusCode ?? 502, answer.headers); answer.pipe(res); },
  );
  upstream.on('error', () => { res.writeHead(502); res.end('token service unreachable'); });
  req.pipe(upstream);
}

async function serve(req, res) {
  const url = new URL(req.url ?? '/', 'http://host');
  const path = url.pathname;
  if (/^\/(api|oauth2|\.well-known)\//.test(path)) return proxy(req, res, path + url.search);
  if (path.startsWith('/svc/')) return proxy(req, res, path.slice(4) + url.search);
  if (path === '/host/ticket') {
    // The host's backend, for the person signed in to the host.
    const ticket = await ticketFor(url.searchParams.get('as'));
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    return res.end(JSON.stringify({ ticket }));
  }
  let found = null;
  if (path.startsWith('/token-console/')) found = await file(dist, path.slice('/token-console/'.length));
  else if (extra && path.startsWith('/static/')) found = await file(extra, path.slice('/static/'.length));
  // The host's own route for the Admins panel, with the panel's deep links under it.
  else if (path === '/settings/tokens' || path.startsWith('/settings/tokens/')) found = await file(here, 'mount.html');
  else if (path === '/') found = await file(here, 'index.html');
  else found = await file(here, path.slice(1));
  if (!found) { res.writeHead(404, { 'content-type': 'text/plain' }); return res.end('not found'); }
  let body = found.body;
  let cache = 'no-cache';
  if (found.type.startsWith('text/html')) {
    // Only the two loopback names this server answers as: a page of another site that rebinds
    // its name to 127.0.0.1 gets the default, which the service's frame-ancestors and keys name.
    const hostName = [`127.0.0.1:${port}`, `localhost:${port}`].includes(req.headers.host) ? req.headers.host : `127.0.0.1:${port}`;
    body = body.toString().replaceAll('__TOKEN_SERVICE__', service.origin).replaceAll('__HOST_ORIGIN__', `http://${hostName}`);
    if (body.includes('__TICKET__')) {
      // A page that signs its person in carries a ticket only they may see: never cached.
      body = body.replaceAll('__TICKET__', await ticketFor(url.searchParams.get('as')));
      cache = 'no-store';
    }
  }
  res.writeHead(200, { 'content-type': found.type, 'content-security-policy': csp, 'cache-control': cache, 'x-content-type-options': 'nosniff' });
  res.end(body);
}

createServer((req, res) => { serve(req, res).catch(() => { res.writeHead(500); res.end(); }); })
  .listen(port, '127.0.0.1', () => console.log(`host pages on http://127.0.0.1:${port}/ (token service ${service.origin})`));

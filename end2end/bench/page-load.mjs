// The pages as a user opens them, on three networks: from navigation to the first contentful
// paint, and to the token table being interactive (its first row rendered by the app, which
// attaches each row's listeners as it renders it), and the bytes of the requests made until then.
// The Users page (Gus, 50 tokens) against the same page in plain HTML and JavaScript
// (vanilla-page.html and .js), and the Admins page (Ada, a 100,000-token workspace).
//
// Networks are Chromium's own emulation through CDP (Network.emulateNetworkConditions, which
// delays and paces each request in the browser, not packets; Emulation.setCPUThrottlingRate):
// "loopback" (none), "Fast 4G" (9 Mbit/s down, 1.5 Mbit/s up, 60 ms RTT), "Slow 4G"
// (1.6 Mbit/s down, 750 kbit/s up, 150 ms RTT, CPU x4). Each run is a fresh browser context,
// signed in outside the measured navigations (its cookie is the context's), with two visits:
// "cold" (nothing cached) and "warm" (page.goto again in the same page: what the context's
// HTTP cache keeps; what the browser did for each request is counted and printed).
//
// The vanilla page is served by the same server, so the same emulation, compression and caching
// apply: its files are written into dist/bench/ (the service serves any file of dist/) at the
// start and removed at the end. App and vanilla alternate run by run. Prints medians; asserts
// nothing. Stops by itself: every wait has a timeout, and the whole run a limit.
// Usage: node bench/page-load.mjs http://127.0.0.1:PORT
//   (a server started with --dist <dist> --seed-demo --seed-scale-tokens 100000)
// Env: PAGE_LOAD_RUNS (runs per cell, 10), PAGE_LOAD_DIST (the server's dist/, ../dist from
// end2end/), PAGE_LOAD_LIMIT_S (the whole run, 2400 s).
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';

const base = process.argv[2] ?? 'http://127.0.0.1:18282';
const RUNS = Number(process.env.PAGE_LOAD_RUNS ?? 10);
const LIMIT_S = Number(process.env.PAGE_LOAD_LIMIT_S ?? 2400);
const here = new URL('.', import.meta.url);
const dist = process.env.PAGE_LOAD_DIST ? pathToFileURL(`${process.env.PAGE_LOAD_DIST}/`) : new URL('../../dist/', here);
const benchDir = new URL('bench/', dist);
const kib = 1024;

const NETWORKS = [
  { name: 'loopback', conditions: null, cpu: 1 },
  { name: 'Fast 4G', conditions: { latency: 60, downloadThroughput: 9e6 / 8, uploadThroughput: 1.5e6 / 8 }, cpu: 1 },
  { name: 'Slow 4G', conditions: { latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 }, cpu: 4 },
];
const USERS = { label: 'Users', email: 'gus@globex.test', app: '/tokens', vanilla: '/bench/vanilla-page.html' };
const ADMINS = { label: 'Admins', email: 'ada@acme.test', app: '/admin/tokens' };

// The vanilla page's files as the service will serve them. The page's style element goes to a
// stylesheet of its own: the service's CSP allows styles from this origin only. Each file gets
// .br and .gz siblings (brotli 11, gzip 9, as xtask's finish-dist makes the app's), which the
// service sends to a browser that accepts them, as it does the app's.
const html = await readFile(new URL('vanilla-page.html', here), 'utf8');
const style = /^\s*<style>([\s\S]*?)<\/style>/m;
const css = html.match(style)?.[1];
if (!css) throw new Error('vanilla-page.html has no style element');
const files = {
  'vanilla-page.html': html.replace(style, '<link rel="stylesheet" href="/bench/vanilla-page.css" />'),
  'vanilla-page.css': css,
  'vanilla-page.js': await readFile(new URL('vanilla-page.js', here), 'utf8'),
};
function writeVanilla() {
  rmSync(benchDir, { recursive: true, force: true });
  mkdirSync(benchDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const bytes = Buffer.from(text);
    writeFileSync(new URL(name, benchDir), bytes);
    writeFileSync(new URL(`${name}.br`, benchDir), brotliCompressSync(bytes));
    writeFileSync(new URL(`${name}.gz`, benchDir), gzipSync(bytes, { level: 9 }));
  }
}
const removeVanilla = () => rmSync(benchDir, { recursive: true, force: true });
process.on('exit', removeVanilla);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
setTimeout(() => {
  console.error(`page-load: stopped after the ${LIMIT_S} s limit (PAGE_LOAD_LIMIT_S)`);
  process.exit(1);
}, LIMIT_S * 1000).unref();
writeVanilla();

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  timeout: 60_000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** A fresh context (empty cache) with `email` signed in; returns it and the CSRF token. */
async function signedIn(email) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(60_000);
  const response = await context.request.post(`${base}/api/session`, { data: { email, password: 'demo-password' }, timeout: 30_000 });
  if (!response.ok()) throw new Error(`signing ${email} in: ${response.status()}`);
  return { context, csrf: (await response.json()).csrf_token };
}

// Gus gets 50 tokens in Globex (the demo gives him a few).
{
  const { context, csrf } = await signedIn(USERS.email);
  const have = (await (await context.request.get(`${base}/api/workspaces/ws-globex/tokens`)).json()).tokens.length;
  for (let i = have; i < 50; i += 1) {
    await context.request.post(`${base}/api/workspaces/ws-globex/tokens`, {
      data: { name: `load token ${i}`, lifetime_days: 30, all_permissions: true }, headers: { 'x-csrf-token': csrf },
    });
  }
  await context.close();
}

/** In the page: when the token table's first row is in the document. */
function markTable() {
  new MutationObserver((_, observer) => {
    if (document.querySelector('table.tokens tbody tr')) {
      window.__tableAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
}

/** Where a request's answer came from, as CDP tells it. */
function source(r) {
  if (r.failed) return 'failed';
  if (r.memory) return 'memory cache';
  if (r.disk) return 'disk cache';
  if (r.status === 304 || r.wire === 304) return '304';
  return String(r.status ?? '?');
}

/** One navigation to `path`, measured: FCP and table in ms from its start, the bytes its
 * requests transferred (CDP's encodedDataLength: headers and body as received, 0 from the
 * cache), and where each request's answer came from. */
async function visit(page, cdp, path) {
  const requests = new Map();
  const get = (id) => requests.get(id) ?? requests.set(id, {}).get(id);
  const on = {
    'Network.requestWillBeSent': (e) => { get(e.requestId).url = e.request.url; },
    'Network.requestServedFromCache': (e) => { get(e.requestId).memory = true; },
    // The status on the wire: a revalidated document is told to responseReceived as the
    // cached 200, and here as the 304 it was.
    'Network.responseReceivedExtraInfo': (e) => { if (requests.has(e.requestId)) get(e.requestId).wire = e.statusCode; },
    'Network.responseReceived': (e) => {
      const r = get(e.requestId);
      r.status = e.response.status;
      r.disk = e.response.fromDiskCache;
    },
    'Network.loadingFinished': (e) => { if (requests.has(e.requestId)) Object.assign(get(e.requestId), { done: true, bytes: e.encodedDataLength }); },
    'Network.loadingFailed': (e) => { if (requests.has(e.requestId)) Object.assign(get(e.requestId), { done: true, failed: true }); },
  };
  for (const [event, f] of Object.entries(on)) cdp.on(event, f);
  try {
    await page.goto(`${base}${path}`, { waitUntil: 'commit', timeout: 60_000 });
    await page.waitForFunction(() => window.__tableAt !== undefined && performance.getEntriesByName('first-contentful-paint').length > 0,
      null, { timeout: 120_000, polling: 50 });
    // The requests the page made to show the table: not what it asks for afterwards (an admin's
    // Users page fetches the Admins page's code when the browser is idle), nor a request of the
    // visit before whose answer arrives now (no address: it began before these listeners).
    const shown = [...requests.entries()].filter(([, r]) => r.url).map(([id]) => id);
    // Until those have ended (the table may come before the last of them).
    for (let waited = 0; waited < 10_000 && shown.some((id) => !requests.get(id).done); waited += 50) await page.waitForTimeout(50);
    const timing = await page.evaluate(() => ({
      fcp: performance.getEntriesByName('first-contentful-paint')[0].startTime,
      table: window.__tableAt,
      vanilla: location.pathname.startsWith('/bench/'),
    }));
    if (path.startsWith('/bench/') !== timing.vanilla) throw new Error(`${path} did not open the page asked for`);
    const list = shown.map((id) => requests.get(id));
    // A request by its path, content hashes left out (they change with every build).
    const what = (r) => new URL(r.url).pathname.replace(/-[0-9a-f]{16}(?=[_.])/, '-<hash>');
    return { ...timing, bytes: list.reduce((n, r) => n + (r.bytes ?? 0), 0), sources: list.map((r) => `${what(r)} ${source(r)}`) };
  } finally {
    for (const [event, f] of Object.entries(on)) cdp.off(event, f);
  }
}

/** One run: a fresh context, the cold visit, then the warm one in the same page. */
async function run(network, who, path) {
  if (path.startsWith('/bench/') && !existsSync(new URL('vanilla-page.html', benchDir))) {
    console.error('page-load: dist/bench/ went away (dist/ rebuilt?); writing it again');
    writeVanilla();
  }
  const { context } = await signedIn(who.email);
  try {
    const page = await context.newPage();
    await page.addInitScript(markTable);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    if (network.conditions) await cdp.send('Network.emulateNetworkConditions', { offline: false, ...network.conditions });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: network.cpu });
    const cold = await visit(page, cdp, path);
    const warm = await visit(page, cdp, path);
    return { cold, warm };
  } finally {
    await context.close();
  }
}

const results = new Map(); // "network|page|kind|cache" -> visits
const add = (key, v) => (results.get(key) ?? results.set(key, []).get(key)).push(v);
// Warm-up: the server's caches and the browser's start, not measured.
for (const [who, path] of [[USERS, USERS.app], [USERS, USERS.vanilla], [ADMINS, ADMINS.app]]) await run(NETWORKS[0], who, path);
for (const network of NETWORKS) {
  for (let i = 0; i < RUNS; i += 1) {
    for (const kind of i % 2 ? ['vanilla', 'app'] : ['app', 'vanilla']) {
      const { cold, warm } = await run(network, USERS, USERS[kind]);
      add(`${network.name}|Users|${kind}|cold`, cold);
      add(`${network.name}|Users|${kind}|warm`, warm);
    }
    const { cold, warm } = await run(network, ADMINS, ADMINS.app);
    add(`${network.name}|Admins|app|cold`, cold);
    add(`${network.name}|Admins|app|warm`, warm);
  }
}
await browser.close();

const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const med = (visits, f) => median(visits.map((v) => v[f]));
const cols = [['network', 9], ['page', 14], ['cache', 5], ['FCP p50', 9], ['table p50', 10], ['KiB p50', 8], ['FCP x', 6], ['table x', 7], ['KiB x', 6]];
const line = (cells) => cells.map((c, i) => (i < 3 ? String(c).padEnd(cols[i][1]) : String(c).padStart(cols[i][1]))).join(' ');
console.log(line(cols.map(([name]) => name)));
const ms = (v) => `${v.toFixed(0)} ms`;
for (const network of NETWORKS) {
  for (const [label, kind] of [['Users', 'app'], ['Users', 'vanilla'], ['Admins', 'app']]) {
    for (const cache of ['cold', 'warm']) {
      const visits = results.get(`${network.name}|${label}|${kind}|${cache}`);
      const [fcp, table, bytes] = ['fcp', 'table', 'bytes'].map((f) => med(visits, f));
      let ratios = ['', '', ''];
      if (label === 'Users' && kind === 'app') {
        const ref = results.get(`${network.name}|Users|vanilla|${cache}`);
        ratios = [fcp / med(ref, 'fcp'), table / med(ref, 'table'), bytes / med(ref, 'bytes')].map((r) => r.toFixed(1));
      }
      console.log(line([network.name, `${label} ${kind}`, cache, ms(fcp), ms(table), (bytes / kib).toFixed(1), ...ratios]));
    }
  }
}
console.log(`(${RUNS} runs per row after one warm-up visit of each page, a fresh browser context per run; "table": navigation to the first`);
console.log('row of the token table in the DOM; KiB: what the navigation\'s requests transferred, headers included (CDP encodedDataLength);');
console.log('x: app median / vanilla median on the same network and cache. Fast 4G: 9/1.5 Mbit/s, 60 ms RTT. Slow 4G: 1.6/0.75 Mbit/s,');
console.log('150 ms RTT, CPU x4. Chromium emulates per request, not per packet.)');
// What the browser did on the warm visits, from CDP: per request, the status it answered with
// (304: revalidated), or the cache it came from without asking the service.
console.log('warm visits, where each request\'s answer came from (most frequent pattern over all networks):');
for (const [label, kind] of [['Users', 'app'], ['Users', 'vanilla'], ['Admins', 'app']]) {
  const patterns = new Map();
  for (const network of NETWORKS) {
    for (const v of results.get(`${network.name}|${label}|${kind}|warm`)) {
      const pattern = [...v.sources].sort().join(', ');
      patterns.set(pattern, (patterns.get(pattern) ?? 0) + 1);
    }
  }
  const [top, n] = [...patterns].sort((a, b) => b[1] - a[1])[0];
  console.log(`  ${label} ${kind} (${n} of ${NETWORKS.length * RUNS} visits): ${top}`);
}

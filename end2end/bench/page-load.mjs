// The pages as a user opens them: from navigation to the first contentful paint, and to the
// token table being interactive (its first row rendered by the app, which attaches each row's
// listeners as it renders it), for the Users page with 50 tokens and the Admins page on a
// 100,000-token workspace. A fresh browser context per run (nothing cached), served from
// loopback. Prints median and p90 of RUNS runs; asserts nothing.
// Usage: node bench/page-load.mjs http://127.0.0.1:PORT
//   (a server started with --seed-demo --seed-scale-tokens 100000)
import { chromium } from 'playwright-core';

const base = process.argv[2] ?? 'http://127.0.0.1:18282';
const RUNS = 15;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** Signs `email` in on a fresh context; returns the context and the CSRF token. */
async function signedIn(email) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const me = await (await context.request.post(`${base}/api/session`, { data: { email, password: 'demo-password' } })).json();
  return { context, csrf: me.csrf_token };
}

// Gus gets 50 tokens in Globex (the demo gives him a few).
{
  const { context, csrf } = await signedIn('gus@globex.test');
  const have = (await (await context.request.get(`${base}/api/workspaces/ws-globex/tokens`)).json()).tokens.length;
  for (let i = have; i < 50; i += 1) {
    await context.request.post(`${base}/api/workspaces/ws-globex/tokens`, {
      data: { name: `load token ${i}`, lifetime_days: 30 }, headers: { 'x-csrf-token': csrf },
    });
  }
  await context.close();
}

async function open(email, path) {
  const { context } = await signedIn(email);
  const page = await context.newPage();
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.querySelector('table.tokens tbody tr')) {
        window.__tableAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${base}${path}`);
  await page.waitForFunction(() => window.__tableAt !== undefined, null, { timeout: 30_000 });
  const timing = await page.evaluate(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
    table: window.__tableAt,
  }));
  await context.close();
  return timing;
}

const pct = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * p) - 1)];
const cases = [
  ['Users page, 50 tokens', 'gus@globex.test', '/tokens'],
  ['Admins page, 100,000 tokens', 'ada@acme.test', '/admin/tokens'],
];
console.log(`${'page'.padEnd(30)} ${'FCP p50'.padStart(9)} ${'FCP p90'.padStart(9)} ${'table p50'.padStart(10)} ${'table p90'.padStart(10)}`);
for (const [label, email, path] of cases) {
  await open(email, path); // warm-up: the server's caches, not the browser's
  const runs = [];
  for (let i = 0; i < RUNS; i += 1) runs.push(await open(email, path));
  const fcp = runs.map((r) => r.fcp);
  const table = runs.map((r) => r.table);
  const ms = (v) => `${v.toFixed(0)} ms`.padStart(9);
  console.log(`${label.padEnd(30)} ${ms(pct(fcp, 0.5))} ${ms(pct(fcp, 0.9))} ${ms(pct(table, 0.5)).padStart(10)} ${ms(pct(table, 0.9)).padStart(10)}`);
}
console.log(`(${RUNS} runs each after one warm-up, a fresh browser context per run; "table": navigation to the first row of the token table in the DOM)`);
await browser.close();

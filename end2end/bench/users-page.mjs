// The Users page with 2,000 tokens: how long select all, clear, one-row toggle, sort and filter
// take from the event to the next frame (requestAnimationFrame, then a MessageChannel task:
// the js-framework-benchmark way of waiting for the paint). Prints the figures; asserts nothing.
// Usage: node bench/users-page.mjs http://127.0.0.1:PORT   (a server seeded with --seed-demo)
import { chromium } from 'playwright-core';

const base = process.argv[2] ?? 'http://127.0.0.1:18282';
const TOKENS = 2000;
const RUNS = 15;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();

// Sign in and give Cy 2,000 tokens through the API.
const me = await (await page.request.post(`${base}/api/session`, { data: { email: 'cy@acme.test', password: 'demo-password' } })).json();
const have = (await (await page.request.get(`${base}/api/workspaces/ws-acme/tokens`)).json()).tokens.length;
for (let i = have; i < TOKENS; i += 1) {
  await page.request.post(`${base}/api/workspaces/ws-acme/tokens`, {
    data: { name: `bench token ${String(i).padStart(4, '0')}`, lifetime_days: 1 + (i % 365), all_permissions: true },
    headers: { 'x-csrf-token': me.csrf_token },
  });
}
await page.goto(`${base}/tokens`);
await page.getByRole('checkbox', { name: 'Select all tokens in view' }).waitFor();
// The page shows the tokens a page at a time; wait for the first page and its pager.
await page.getByRole('button', { name: 'Next page' }).waitFor();

/** Runs `act` in the page and returns milliseconds until the frame after it is painted. */
async function time(act) {
  return page.evaluate(async (source) => {
    const run = new Function(source);
    const t0 = performance.now();
    run();
    await new Promise((resolve) => requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = resolve;
      channel.port2.postMessage(0);
    }));
    return performance.now() - t0;
  }, act);
}

const ops = {
  'select all (header checkbox)': "document.querySelector('thead input[type=checkbox]').click()",
  'clear (header checkbox again)': "document.querySelector('thead input[type=checkbox]').click()",
  'toggle one row': "const b = document.querySelectorAll('tbody input[type=checkbox]'); b[b.length >> 1].click()",
  'sort by name (header)': "[...document.querySelectorAll('th button.sort-button')][0].click()",
  'filter by a search string': `const s = document.querySelector('input[type=search]');
    s.value = 'token 01'; s.dispatchEvent(new Event('input', { bubbles: true }));`,
  'clear the search': `const s = document.querySelector('input[type=search]');
    s.value = ''; s.dispatchEvent(new Event('input', { bubbles: true }));`,
};
const results = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
for (let run = 0; run < RUNS + 2; run += 1) {
  for (const [name, act] of Object.entries(ops)) {
    const ms = await time(act);
    if (run >= 2) results[name].push(ms); // two warm-up rounds
  }
}
const rows = await page.evaluate(() => document.querySelectorAll('tbody tr').length);
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
console.log(`Users page, ${TOKENS} tokens (${rows} rows on the page at the end), ${RUNS} runs after 2 warm-ups, event to next frame:`);
console.log(`${'operation'.padEnd(32)} ${'median'.padStart(9)} ${'p90'.padStart(9)} ${'max'.padStart(9)}`);
for (const [name, xs] of Object.entries(results)) {
  const f = (v) => `${v.toFixed(1)} ms`.padStart(9);
  console.log(`${name.padEnd(32)} ${f(q(xs, 0.5))} ${f(q(xs, 0.9))} ${f(Math.max(...xs))}`);
}
await browser.close();

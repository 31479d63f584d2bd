// The Users page's token table against the same table in plain JavaScript (vanilla-table.js),
// with 10,000 tokens shown at once (`?per_page=all`). Each operation is a real, trusted input
// (page.mouse.click, or typing) timed from the event's timestamp to the next paint
// (requestAnimationFrame, then a MessageChannel task: the js-framework-benchmark way), and
// cross-checked with the Event Timing API's duration. A fresh browser context per run, warm-up
// runs first, the pages taking turns to go first. Prints medians, spreads and ratios; asserts
// nothing.
// The app's table renders only the rows near the viewport once a list is longer than 200
// rows. The vanilla table is measured twice: windowed the same way (`?rows=window`: the same
// threshold, overscan and steps, see vanilla-table.js), which the app is compared with, and
// rendering every row (`?rows=all`), which shows what windowing buys. Rows are found by their
// aria-rowindex, scrolled to as a user would. With APP_ONLY=1 only the app is measured (the
// 100,000-row run).
// Usage: node bench/table-vs-vanilla.mjs http://127.0.0.1:PORT   (a server seeded with --seed-demo)
// Env: TOKENS (10,000), RUNS (15), APP_ONLY, TABLE_LIMIT_S (the whole run, 3600 s).
import { chromium } from 'playwright-core';
import { readFile } from 'node:fs/promises';

const base = process.argv[2] ?? 'http://127.0.0.1:18282';
const TOKENS = Number(process.env.TOKENS ?? 10_000);
const RUNS = Number(process.env.RUNS ?? 15);
const APP_ONLY = process.env.APP_ONLY === '1';
const WARMUP = APP_ONLY ? 1 : 2;
const MEMORY_RUNS = APP_ONLY ? 0 : 3;
const LIMIT_S = Number(process.env.TABLE_LIMIT_S ?? 3600);
setTimeout(() => {
  console.error(`table-vs-vanilla: stopped after the ${LIMIT_S} s limit (TABLE_LIMIT_S)`);
  process.exit(1);
}, LIMIT_S * 1000).unref();
/** The pages measured: the app, and the vanilla table windowed and with every row. */
const PAGES = {
  leptos: '/tokens?per_page=all',
  windowed: '/bench/vanilla?rows=window',
  vanilla: '/bench/vanilla?rows=all',
};
const here = new URL('.', import.meta.url);
const files = {
  '/bench/vanilla': ['text/html', await readFile(new URL('vanilla-table.html', here))],
  '/bench/vanilla-table.js': ['text/javascript', await readFile(new URL('vanilla-table.js', here))],
  '/bench/main.css': ['text/css', await readFile(new URL('../../style/main.css', here))],
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--enable-precise-memory-info', '--js-flags=--expose-gc'],
});

// Cy gets TOKENS tokens through the API.
{
  const context = await browser.newContext();
  const me = await (await context.request.post(`${base}/api/session`, { data: { email: 'cy@acme.test', password: 'demo-password' } })).json();
  const have = (await (await context.request.get(`${base}/api/workspaces/ws-acme/tokens`)).json()).tokens.length;
  // Eight requests at a time.
  let next = have;
  const create = async () => {
    for (let i = next++; i < TOKENS; i = next++) {
      await context.request.post(`${base}/api/workspaces/ws-acme/tokens`, {
        data: { name: `bench token ${String(i).padStart(6, '0')}`, lifetime_days: 1 + (i % 365), all_permissions: true },
        headers: { 'x-csrf-token': me.csrf_token },
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, create));
  await context.close();
}

/** In the page: every trusted click or input is timed to the next paint, and Event Timing kept. */
function instrument() {
  window.__timings = [];
  window.__events = [];
  const time = (ev) => {
    if (!ev.isTrusted) return;
    const t0 = ev.timeStamp;
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => window.__timings.push(performance.now() - t0);
      channel.port2.postMessage(0);
    });
  };
  addEventListener('click', time, true);
  addEventListener('input', time, true);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'click' || e.name === 'input') window.__events.push(e.duration);
  }).observe({ type: 'event', durationThreshold: 16, buffered: true });
  addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail.wasm; });
}

async function open(kind) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.request.post(`${base}/api/session`, { data: { email: 'cy@acme.test', password: 'demo-password' } });
  await context.route(`${base}/bench/**`, (route) => {
    const file = files[new URL(route.request().url()).pathname];
    return file ? route.fulfill({ contentType: file[0], body: file[1] }) : route.fallback();
  });
  const page = await context.newPage();
  await page.addInitScript(instrument);
  await page.goto(`${base}${PAGES[kind]}`, { timeout: 120_000 });
  await shownAll(page, 300_000);
  return { context, page, cdp: await context.newCDPSession(page) };
}

/** Every token is in the table (rendered or not), and its first row is in the document. */
async function shownAll(page, timeout = 60_000) {
  await page.locator(`table.tokens[aria-rowcount="${TOKENS + 1}"] tbody tr[aria-rowindex="2"]`).waitFor({ state: 'attached', timeout });
}

/** The checkbox of the row at `i` (0-based), scrolled to as a user would reach it: towards it,
 * by the rendered rows' height, until it is in the document. */
async function box(page, i) {
  const row = page.locator(`table.tokens tbody tr[aria-rowindex="${i + 2}"]`);
  const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  // Until the row is in the document and still is after the window has settled (a move of the
  // window after a scroll re-measures the rows, and may move it once more).
  for (let tries = 0, settled = 0; settled < 3 && tries < 60; tries += 1) {
    if ((await row.count()) > 0) {
      if (settled === 0) await row.evaluate((el) => el.scrollIntoView({ block: 'center' })).catch(() => {});
      settled += 1;
      await frames();
      continue;
    }
    settled = 0;
    await page.evaluate((i) => {
      const rows = document.querySelectorAll('table.tokens tbody tr[aria-rowindex]');
      const [first, last] = [rows[0], rows[rows.length - 1]];
      const [a, b] = [first, last].map((r) => Number(r.getAttribute('aria-rowindex')) - 2);
      const [top, bottom] = [first.getBoundingClientRect().top, last.getBoundingClientRect().bottom];
      const height = (bottom - top) / (b - a + 1);
      const y = i < a ? top - (a - i) * height : bottom + (i - b) * height;
      scrollBy(0, y - innerHeight / 2);
    }, i);
    await frames();
  }
  return row.locator('input[type=checkbox]');
}

/** Does `act`, waits for its timing, returns [to paint, Event Timing duration or NaN]. */
async function timed(page, act) {
  // Let the previous operation's rendering finish first: two frames after it.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.evaluate(() => { window.__timings = []; window.__events = []; });
  await act();
  await page.waitForFunction(() => window.__timings.length > 0, null, { timeout: 60_000 });
  await page.waitForTimeout(50); // let the observer deliver the entry
  return page.evaluate(() => [window.__timings.at(-1), window.__events.at(-1) ?? NaN]);
}

async function clickAt(page, locator, modifiers = []) {
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  for (const m of modifiers) await page.keyboard.down(m);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  for (const m of modifiers) await page.keyboard.up(m);
}

/** The JS heap after garbage collection, and the wasm linear memory (which never shrinks). */
async function memory(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const wasm = await page.evaluate(() => window.__wasm?.memory?.buffer.byteLength ?? 0);
  return { js: usedSize, wasm };
}

/** One run of every operation on one page; the memory cycles (slow) only when `memoryToo`. */
async function run(kind, memoryToo) {
  const { context, page, cdp } = await open(kind);
  const header = page.locator('table.tokens thead input[type=checkbox]');
  const search = page.getByRole('searchbox');
  const r = {};
  // Rendering all rows is timed as clearing a search that matched none; removing them, as
  // typing it.
  r['remove all rows (search matching none)'] = await timed(page, () => search.fill('no such token'));
  r[`render ${TOKENS} rows (clear that search)`] = await timed(page, () => search.fill(''));
  r['select all'] = await timed(page, () => clickAt(page, header));
  r['clear'] = await timed(page, () => clickAt(page, header));
  await clickAt(page, await box(page, 10));
  const far = await box(page, Math.min(1009, TOKENS - 1));
  r['shift-click a range of 1,000'] = await timed(page, () => clickAt(page, far, ['Shift']));
  await page.evaluate(() => scrollTo(0, 0));
  await clickAt(page, header); // all selected
  await clickAt(page, header); // none
  const row = await box(page, 20);
  r['toggle one row'] = await timed(page, () => clickAt(page, row));
  await clickAt(page, row);
  await page.evaluate(() => scrollTo(0, 0));
  r['sort by name'] = await timed(page, () => clickAt(page, page.locator('th button.sort-button').first()));
  r['filter by a search string'] = await timed(page, () => search.fill('token 01'));
  await search.fill('');
  await shownAll(page);
  if (!memoryToo) {
    await context.close();
    return r;
  }
  // Memory: five cycles of removing and rendering every row.
  const before = await memory(page, cdp);
  for (let i = 0; i < 5; i += 1) {
    await search.fill('no such token');
    await page.locator('table.tokens tbody tr').first().waitFor({ state: 'detached' }).catch(() => {});
    await search.fill('');
    await shownAll(page);
  }
  const after = await memory(page, cdp);
  const growth = (a, b) => (b > 0 ? ((a - b) / b) * 100 : 0);
  r['memory growth after 5 render/remove cycles (%)'] = [growth(after.js + after.wasm, before.js + before.wasm), NaN];
  r['  of which the JS heap (%)'] = [growth(after.js, before.js), NaN];
  r['  of which the wasm memory (%)'] = [growth(after.wasm, before.wasm), NaN];
  await context.close();
  return r;
}

const results = { leptos: [], windowed: [], vanilla: [] };
const kinds = APP_ONLY ? ['leptos'] : Object.keys(PAGES);
for (let i = 0; i < WARMUP + RUNS; i += 1) {
  // Each page goes first, second and last in turn.
  for (const kind of kinds.map((_, k) => kinds[(i + k) % kinds.length])) {
    const r = await run(kind, i >= WARMUP && i < WARMUP + MEMORY_RUNS);
    if (i >= WARMUP) results[kind].push(r);
  }
}

const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const pct = (v, p) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)]; };
const f = (v) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(1)).padStart(7);
const spread = (x) => (x.length ? `${pct(x, 0.1).toFixed(1)}-${pct(x, 0.9).toFixed(1)}` : '-').padStart(15);
const runs = (kind, op, i) => results[kind].filter((r) => op in r).map((r) => r[op][i]).filter((x) => !Number.isNaN(x));
if (APP_ONLY) {
  console.log(`${TOKENS} tokens, the app only, ${RUNS} runs after ${WARMUP} warm-up run; ms from the trusted event to the next paint`);
  console.log(`${'operation'.padEnd(46)} ${'app p50'.padStart(7)} ${'p10-p90'.padStart(15)} ${'ET app'.padStart(7)}`);
  for (const op of Object.keys(results.leptos[0])) {
    const a = runs('leptos', op, 0);
    const ea = runs('leptos', op, 1);
    console.log(`${op.padEnd(46)} ${f(median(a))} ${spread(a)} ${f(ea.length ? median(ea) : NaN)}`);
  }
} else {
  console.log(`${TOKENS} tokens, ${RUNS} runs per page after ${WARMUP} warm-up runs, alternating; ms from the trusted event to the next paint`);
  console.log(`${'operation'.padEnd(46)} ${'app p50'.padStart(7)} ${'p10-p90'.padStart(15)} ${'win p50'.padStart(7)} ${'p10-p90'.padStart(15)} ${'ratio'.padStart(6)} ${'all p50'.padStart(7)} ${'p10-p90'.padStart(15)} ${'ET app'.padStart(7)} ${'ET win'.padStart(7)} ${'ET all'.padStart(7)}`);
  for (const op of Object.keys(results.leptos[0])) {
    const [a, w, v] = ['leptos', 'windowed', 'vanilla'].map((k) => runs(k, op, 0));
    const [ea, ew, ev] = ['leptos', 'windowed', 'vanilla'].map((k) => runs(k, op, 1));
    const ratio = op.includes('%') ? '-' : (median(a) / median(w)).toFixed(2);
    const et = (x) => f(x.length ? median(x) : NaN);
    console.log(`${op.padEnd(46)} ${f(median(a))} ${spread(a)} ${f(median(w))} ${spread(w)} ${ratio.padStart(6)} ${f(median(v))} ${spread(v)} ${et(ea)} ${et(ew)} ${et(ev)}`);
  }
  console.log('app: the Leptos app; win: the vanilla table windowed as the app is (the rows near the viewport, about 60, and two');
  console.log('spacers); all: the vanilla table rendering every row, what windowing buys. ratio: app median / win median.');
  console.log('ET: Event Timing duration (to the next paint, 8 ms granularity), median of the runs that reported one (>= 16 ms).');
  console.log(`memory: JS heap + wasm memory after garbage collection, before and after the cycles, in the first ${MEMORY_RUNS} measured runs of each page.`);
}
await browser.close();

import { test, expect, signIn } from './support';

// What the browser fetches to open the app: compressed the first time, and on a repeat visit
// only index.html's revalidation and the API's data.

/** Every network answer of the page, as Chromium's network layer saw it. */
async function networkLog(page: import('@playwright/test').Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const seen = new Map<string, { url: string; preload: boolean; status?: number; wire?: number; encoding?: string; cached: boolean; bytes: number }>();
  cdp.on('Network.requestWillBeSent', (e) => seen.set(e.requestId, {
    url: e.request.url, preload: Boolean(e.request.isLinkPreload), cached: false, bytes: 0,
  }));
  cdp.on('Network.requestServedFromCache', (e) => { const r = seen.get(e.requestId); if (r) r.cached = true; });
  cdp.on('Network.responseReceived', (e) => {
    const r = seen.get(e.requestId);
    if (!r) return;
    r.status = e.response.status;
    r.cached ||= Boolean(e.response.fromDiskCache || e.response.fromPrefetchCache);
    const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    r.encoding = headers['content-encoding'] as string | undefined;
  });
  // The status on the wire: for a revalidated answer `responseReceived` reports the cached 200.
  cdp.on('Network.responseReceivedExtraInfo', (e) => { const r = seen.get(e.requestId); if (r) r.wire = e.statusCode; });
  cdp.on('Network.loadingFinished', (e) => { const r = seen.get(e.requestId); if (r) r.bytes = e.encodedDataLength; });
  return {
    take() {
      const all = [...seen.values()];
      seen.clear();
      return all;
    },
  };
}

const appFile = /\/token-console-[0-9a-f]+(_bg\.wasm|\.js)$/;

test('the app arrives compressed, and a repeat visit fetches no app file body', async ({ page }) => {
  const log = await networkLog(page);
  await page.goto('/tokens');
  await signIn(page, 'gus@globex.test');
  await expect(page.getByRole('row', { name: /Globex sync/ })).toBeVisible();
  const first = log.take().filter((r) => appFile.test(r.url));
  expect(first.map((r) => r.url.replace(/.*\//, '')).sort()).toHaveLength(2);
  for (const file of first) {
    expect(file.status, file.url).toBe(200);
    expect(file.encoding, file.url).toBe('br');
  }
  const wasm = first.find((r) => r.url.endsWith('.wasm'))!;
  // The wasm on the wire is its brotli copy: well under half its size.
  const size = await page.evaluate(async (url) => (await (await fetch(url)).arrayBuffer()).byteLength, wasm.url);
  expect(wasm.bytes).toBeLessThan(size / 2);

  log.take();
  // The visit again, at the address it began at (each address is its own cache entry).
  await page.goto('/tokens');
  await expect(page.getByRole('row', { name: /Globex sync/ })).toBeVisible();
  const again = log.take();
  const page_ = again.find((r) => new URL(r.url).pathname === '/tokens');
  expect(page_?.wire, 'index.html is revalidated, not sent again').toBe(304);
  const appFiles = again.filter((r) => appFile.test(r.url));
  expect(appFiles).toHaveLength(2);
  for (const file of appFiles) expect(file.cached, `${file.url} from the cache`).toBe(true);
  // The list was asked for with the page (Link: rel=preload) and the app took that answer:
  // one request, not two.
  const lists = again.filter((r) => new URL(r.url).pathname === '/api/workspaces/ws-globex/tokens');
  expect(lists, 'the list, once').toHaveLength(1);
  expect(lists[0].preload, 'the list was asked for by the page\'s Link header').toBe(true);
  const mes = again.filter((r) => new URL(r.url).pathname === '/api/me');
  expect(mes, '/api/me, once').toHaveLength(1);
  expect(mes[0].preload, '/api/me was asked for by index.html').toBe(true);
  // Nothing but index.html's revalidation and the API's data went over the network.
  const fetched = again.filter((r) => !r.cached).map((r) => new URL(r.url).pathname);
  for (const path of fetched) expect(path).toMatch(/^\/(w\/ws-globex\/tokens|tokens|api\/.*)$/);
});

test('the page\'s frame is painted while the app\'s code is still on its way', async ({ page }) => {
  let release = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route(/_bg\.wasm$/, async (route) => { await held; await route.continue(); });
  await page.goto('/tokens');
  await expect(page.locator('.tc-frame-bar')).toBeVisible();
  const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint').length);
  expect(paint, 'a contentful paint before the code').toBe(1);
  release();
  // The app replaces the frame as it mounts: the sign-in form, and no frame left behind.
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(page.locator('.tc-frame')).toHaveCount(0);
});

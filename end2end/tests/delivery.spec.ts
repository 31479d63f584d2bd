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
  let prefetched = false;
  let dialogPrefetched = false;
  let appFilesDone = 0;
  page.on('requestfinished', (r) => {
    if (/admin_page-[0-9a-f]{16}\.wasm$/.test(r.url())) prefetched = true;
    if (/generate_dialog-[0-9a-f]{16}\.wasm$/.test(r.url())) dialogPrefetched = true;
    if (/\/token-console-[^/]*\.(wasm|js)$/.test(r.url())) appFilesDone += 1;
  });
  // Each module's shared chunks follow it: settled when a second passes with no app file more
  // (an answer still on its way has not yet said whether it came from the cache).
  const settled = async () => {
    let before = -1;
    await expect.poll(() => {
      const still = appFilesDone === before;
      before = appFilesDone;
      return still;
    }, { intervals: [1_000] }).toBe(true);
  };
  await page.goto('/tokens');
  await signIn(page, 'gus@globex.test');
  await expect(page.getByRole('row', { name: /Globex sync/ })).toBeVisible();
  const first = log.take().filter((r) => appFile.test(r.url));
  expect(first.map((r) => r.url.replace(/.*\//, '')).sort()).toHaveLength(2);
  for (const file of first) {
    expect(file.status, file.url).toBe(200);
    expect(file.encoding, file.url).toBe('br');
  }
  // Gus is an admin: his Users page fetches the Admins page's code when the browser is idle.
  // Its answers come before the second visit, which is to find everything in the cache.
  await expect.poll(() => prefetched).toBe(true);
  // And the Generate dialog's, with the small chunks the modules share, fetched when idle too.
  await expect.poll(() => dialogPrefetched).toBe(true);
  await settled();
  const wasm = first.find((r) => r.url.endsWith('.wasm'))!;
  // The wasm on the wire is its brotli copy: well under half its size.
  const size = await page.evaluate(async (url) => (await (await fetch(url)).arrayBuffer()).byteLength, wasm.url);
  expect(wasm.bytes).toBeLessThan(size / 2);

  log.take();
  // The visit again, at the address it began at (each address is its own cache entry).
  await page.goto('/tokens');
  await expect(page.getByRole('row', { name: /Globex sync/ })).toBeVisible();
  await settled();
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

// The Admins page's code is its own module (and the set-password page's), fetched when first
// used; the `page` fixture fails the test on any Content-Security-Policy violation.
const adminCode = /\/token-console-(admin_page|chunk_\d+)-[0-9a-f]{16}\.wasm$/;

/** Resolves once the browser has been idle twice: an idle prefetch would have been asked for. */
async function idle(page: import('@playwright/test').Page) {
  for (let i = 0; i < 2; i++) await page.evaluate(() => new Promise<void>((done) => requestIdleCallback(() => done())));
}

/** Cy, a member, opens the Users page in English and the browser goes idle; every address the
 * page has asked for, and asks for from then on. */
async function memberVisit(page: import('@playwright/test').Page) {
  const fetched: string[] = [];
  page.on('request', (r) => fetched.push(r.url()));
  await page.goto('/tokens');
  await signIn(page, 'cy@acme.test');
  await expect(page.getByRole('heading', { name: 'API tokens in Acme' })).toBeVisible();
  await idle(page);
  return fetched;
}

test('a member\'s visit fetches no admin code, even when the browser is idle', async ({ page }) => {
  const fetched = await memberVisit(page);
  expect(fetched.filter((url) => /admin_page/.test(url))).toEqual([]);
  // The Generate dialog's code comes while the browser is idle, ahead of the first Generate.
  expect(fetched.filter((url) => /\/token-console-generate_dialog-[0-9a-f]{16}\.wasm$/.test(url))).toHaveLength(1);
  // The Users page's own code came: the main module, the glue and the split's loader.
  expect(fetched.filter((url) => /\/token-console-(split-)?[0-9a-f]{16}(_bg\.wasm|\.js)$/.test(url))).toHaveLength(3);
});

test('an admin\'s first visit to the Admins page fetches its code, kept for good, and the page works', async ({ page }) => {
  const answers: { url: string; cache: string | undefined; encoding: string | undefined; length: number }[] = [];
  page.on('response', (r) => {
    if (adminCode.test(r.url())) {
      const headers = r.headers();
      answers.push({ url: r.url(), cache: headers['cache-control'], encoding: headers['content-encoding'], length: Number(headers['content-length']) });
    }
  });
  // A deep link: the code comes for the page (or with the idle fetch, whichever asks first).
  await page.goto('/admin/tokens');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Workspace tokens');
  expect(answers.map((a) => a.url.replace(/.*\//, '').replace(/-[0-9a-f]{16}/, ''))).toContain('token-console-admin_page.wasm');
  for (const a of answers) {
    expect(a.cache, a.url).toBe('public, max-age=31536000, immutable');
    // Compressed, but for a module under a kilobyte, which compression would not shrink.
    if (!(a.length < 1024)) expect(a.encoding, a.url).toBe('br');
  }
  // It works: it lists the workspace's tokens (other tests add to them: any of them), and the
  // tabs switch.
  await expect(page.getByRole('table').getByRole('rowheader').first()).toBeVisible();
  await page.getByRole('tab', { name: 'Members' }).click();
  await expect(page.getByRole('rowheader', { name: 'Cy Tanaka cy@acme.test' })).toBeVisible();
});

test('an admin on the Users page has the Admins page\'s code fetched while the browser is idle', async ({ page }) => {
  const fetched: string[] = [];
  page.on('request', (r) => fetched.push(r.url()));
  await page.goto('/tokens');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByRole('heading', { name: 'API tokens in Acme' })).toBeVisible();
  await expect.poll(() => fetched.filter((url) => /admin_page/.test(url)).length).toBeGreaterThan(0);
  const before = fetched.length;
  await page.getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Workspace tokens');
  // Opening it fetched no code: it was here already.
  expect(fetched.slice(before).filter((url) => /\.wasm$/.test(url))).toEqual([]);
});

test('when the Admins page\'s code cannot come, the page says so, and Retry brings it', async ({ page }) => {
  await page.route(adminCode, (route) => route.abort('internetdisconnected'));
  await page.goto('/admin/tokens');
  await signIn(page, 'ada@acme.test');
  const failure = page.getByRole('alert').filter({ hasText: 'The service could not be reached' });
  await expect(failure).toBeVisible();
  // The rest of the app still works: the header's links and the Users page.
  await expect(page.getByRole('link', { name: 'My tokens' })).toBeVisible();
  await page.unroute(adminCode);
  await failure.getByRole('button', { name: 'Retry' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Workspace tokens');
  await expect(failure).toHaveCount(0);
});

// Each reader downloads one language's strings: Simplified Chinese is a module of its own.
const chineseStrings = /\/token-console-zh_cn-[0-9a-f]{16}\.wasm$/;

test('an English reader downloads no Chinese strings; choosing Chinese fetches them, without a reload', async ({ page }) => {
  const fetched = await memberVisit(page);
  expect(fetched.filter((url) => chineseStrings.test(url))).toEqual([]);
  await page.evaluate(() => { (window as unknown as { stayed: boolean }).stayed = true; });
  await page.getByLabel('Language').selectOption('zh-CN');
  await expect(page.getByRole('heading', { name: 'Acme 的 API 令牌' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  expect(fetched.filter((url) => chineseStrings.test(url))).toHaveLength(1);
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed), 'the same page, not a reload').toBe(true);
  // And back, with nothing more to fetch.
  const before = fetched.length;
  await page.getByLabel('语言').selectOption('en');
  await expect(page.getByRole('heading', { name: 'API tokens in Acme' })).toBeVisible();
  expect(fetched.slice(before).filter((url) => /\.wasm$/.test(url))).toEqual([]);
});

test.describe('a browser that asks for Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('gets the Chinese strings with the page, and never a word of English first', async ({ page }) => {
    const english: string[] = [];
    // Every text the app puts in the page, as it appears.
    await page.addInitScript(() => {
      new MutationObserver((changes) => {
        for (const change of changes) for (const node of change.addedNodes) {
          const text = node.textContent ?? '';
          if (/Sign in|Email|Password/.test(text)) (window as unknown as { english: string[] }).english = [...((window as unknown as { english?: string[] }).english ?? []), text];
        }
      }).observe(document, { childList: true, subtree: true });
    });
    const strings = page.waitForRequest(chineseStrings);
    await page.goto('/signin');
    await strings;
    await expect(page.getByRole('button', { name: '登录', exact: true })).toBeVisible();
    english.push(...(await page.evaluate(() => (window as unknown as { english?: string[] }).english ?? [])));
    expect(english, 'English shown before the Chinese strings came').toEqual([]);
  });
});

import { type Locator, type Page } from '@playwright/test';
import { test, expect, expectNoAxeViolations, generate, signIn } from './support';
import { hostPort } from '../playwright.config';

// The example host app (examples/host-server.mjs) on a second loopback origin. It proxies the
// token service, so panels mounted into its pages are same-origin; its iframe page frames the
// service's own origin.
const host = `http://127.0.0.1:${hostPort}`;
const adminOptions = { page: 'admin', basePath: '/settings/tokens', apiBase: '/svc', locale: 'en' };

/** What a user sees of an element's style. */
async function looks(locator: Locator): Promise<string> {
  return locator.evaluate((el) => {
    const s = getComputedStyle(el);
    return [s.fontFamily, s.fontSize, s.lineHeight, s.color, s.backgroundColor, s.paddingTop, s.marginTop,
      s.display, s.textTransform, s.letterSpacing, s.borderTopStyle, s.borderTopLeftRadius].join(' | ');
  });
}

/** The host page's event log names the new token, and holds no secret. */
async function expectHostToldOfCreation(page: Page, name: string, secrets: string[]) {
  const log = page.locator('#host-events');
  await expect(log).toContainText('"event":"token-created"');
  await expect(log).toContainText(`"name":"${name}"`);
  const received = await log.innerText();
  for (const secret of secrets) expect(received).not.toContain(secret);
  expect(received).not.toMatch(/tcr_|eyJ/);
}

test('data attributes: the Users page in a host page, themed by it, deaf to its hostile CSS, telling it events without secrets', async ({ page }) => {
  await page.goto(`${host}/data-attributes.html`);
  const panel = page.locator('#tokens-panel');
  await signIn(page, 'ada@acme.test');
  await expect(panel.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  await expect(panel.getByRole('table')).toBeVisible();

  // The panel's stylesheet lives in its shadow root only: the host's own button keeps its look.
  expect(await page.evaluate(() => document.adoptedStyleSheets.length)).toBe(0);
  await expect(page.getByRole('button', { name: 'Host button' })).toHaveCSS('background-color', 'rgb(156, 54, 10)');
  // The host's theme reaches in through the custom properties.
  const generateButton = panel.getByRole('button', { name: 'Generate token' }).first();
  await expect(generateButton).toHaveCSS('background-color', 'rgb(111, 66, 193)');
  await expect(generateButton).toHaveCSS('border-top-left-radius', '10px');

  const probes = [
    panel.locator('.tc-root'), generateButton, panel.getByRole('heading', { name: 'API tokens' }),
    panel.getByRole('table'), panel.getByRole('cell').first(), panel.getByRole('columnheader').first(),
    panel.getByRole('searchbox'), panel.getByRole('combobox').first(), panel.locator('.intro').first(),
  ];
  await expectNoAxeViolations(page);
  const before = await Promise.all(probes.map(looks));
  await page.evaluate(() => new Promise((loaded) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = '/static/hostile.css';
    link.onload = loaded;
    document.head.append(link);
  }));
  // The hostile sheet did apply to the host page...
  await expect(page.getByRole('heading', { name: 'API tokens', level: 1 }).first()).toHaveCSS('font-size', '60px');
  // ...and changed nothing inside the panel.
  expect(await Promise.all(probes.map(looks))).toEqual(before);

  const { reveal, access, refresh } = await generate(panel, 'host data-attr token');
  await reveal.getByRole('button', { name: 'Close' }).click();
  await reveal.getByRole('button', { name: 'Close anyway' }).click();
  await expect(reveal).toBeHidden();
  await expectHostToldOfCreation(page, 'host data-attr token', [access, refresh]);
});

test('mount(): the Admins page under the host\'s base path, with deep links, Back and Forward', async ({ page }) => {
  await page.goto(`${host}/settings/tokens?status=disabled`);
  await signIn(page, 'ada@acme.test');
  const panel = page.locator('#admin-panel');
  await expect(panel.locator('.tc-root')).toHaveAttribute('lang', 'en');
  const status = panel.getByRole('combobox', { name: 'Status' });
  await expect(status).toHaveValue('disabled');
  await expect(panel.getByText(/\d+ tokens? match/)).toBeVisible();
  const rows = panel.getByRole('table').getByRole('row');
  await expect(rows.nth(1)).toContainText('Disabled');

  await status.selectOption('active');
  await expect(page).toHaveURL(`${host}/settings/tokens?status=active`);
  await expect(rows.nth(1)).toContainText('Active');
  await page.goBack();
  await expect(page).toHaveURL(`${host}/settings/tokens?status=disabled`);
  await expect(status).toHaveValue('disabled');
  await page.goForward();
  await expect(status).toHaveValue('active');

  // The tabs are panel routes too.
  await panel.getByRole('tab', { name: 'Audit trail' }).click();
  await expect(page).toHaveURL(/\/settings\/tokens\?.*tab=audit/);
  await page.goBack();
  await expect(panel.getByRole('tab', { name: 'Tokens' })).toHaveAttribute('aria-selected', 'true');
});

test('iframe: the /embed page on a second origin signs in, falls back to selecting text for Copy, and posts only ids and names', async ({ page }) => {
  await page.goto(`${host}/iframe.html`);
  const frame = page.frameLocator('iframe[title="API tokens"]');
  await signIn(frame as unknown as Page, 'ada@acme.test');
  await expect(frame.getByRole('heading', { name: 'API tokens' })).toBeVisible();

  const { reveal, access, refresh } = await generate(frame, 'framed token');
  // The host did not delegate clipboard-write: Copy selects the text and says how to copy.
  await reveal.getByRole('button', { name: /^Copy Refresh token/ }).click();
  await expect(reveal.getByText('Copying is not allowed here.', { exact: false })).toBeVisible();
  const selected = await reveal.getByLabel(/^Refresh token/).evaluate((el: HTMLInputElement) =>
    el.value.slice(el.selectionStart ?? 0, el.selectionEnd ?? 0));
  expect(selected).toBe(refresh);

  await expectHostToldOfCreation(page, 'framed token', [access, refresh]);
});

test('unmount and remount 100 times: no listener, node or memory is left behind', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(`${host}/settings/tokens`);
  await signIn(page, 'ada@acme.test');
  await expect(page.locator('#admin-panel').getByRole('table')).toBeVisible();
  await page.getByRole('button', { name: 'Unmount' }).click();
  await expect(page.locator('#admin-panel').getByRole('table')).toHaveCount(0);

  // A bad option is refused, naming it, and mounts nothing.
  const refused = await page.evaluate(async () => {
    const { mount } = await import('/token-console/embed.js');
    try { await mount(document.getElementById('admin-panel'), { page: 'settings' }); return 'mounted'; } catch (e) { return String(e); }
  });
  expect(refused).toContain('option `page`');

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const cycles = (n: number) => page.evaluate(async ({ n, options }) => {
    const { mount, ready } = await import('/token-console/embed.js');
    const element = document.getElementById('admin-panel')!;
    for (let i = 0; i < n; i++) {
      const panel = await mount(element, options);
      // Wait for the page to load its data, so every request, listener and timer is live.
      for (let tries = 0; !element.shadowRoot?.querySelector('table.tokens tbody tr'); tries++) {
        if (tries > 500) throw new Error(`cycle ${i}: the panel never showed its table`);
        await new Promise((r) => setTimeout(r, 10));
      }
      panel.unmount();
      if (panel.mounted || element.shadowRoot!.childNodes.length !== 0) throw new Error('unmount left DOM behind');
    }
    const wasm = await ready;
    return wasm.memory.buffer.byteLength;
  }, { n, options: adminOptions });
  // Blink may keep the last panel's detached nodes through one collection and not the next: the
  // least of three readings is what is really retained.
  const measure = async () => {
    const readings = [];
    for (let i = 0; i < 3; i++) {
      await cdp.send('HeapProfiler.collectGarbage');
      await page.waitForTimeout(50);
      const { metrics } = await cdp.send('Performance.getMetrics');
      const get = (name: string) => metrics.find((m) => m.name === name)!.value;
      readings.push({ listeners: get('JSEventListeners'), nodes: get('Nodes'), heap: get('JSHeapUsedSize') });
    }
    return {
      listeners: Math.min(...readings.map((r) => r.listeners)),
      nodes: Math.min(...readings.map((r) => r.nodes)),
      heap: Math.min(...readings.map((r) => r.heap)),
    };
  };

  const wasmAfter10 = await cycles(10);
  const after10 = await measure();
  const wasmAfter100 = await cycles(90);
  const after100 = await measure();
  console.log(`mount/unmount: after 10 cycles ${JSON.stringify(after10)}, wasm ${wasmAfter10} B; ` +
    `after 100 ${JSON.stringify(after100)}, wasm ${wasmAfter100} B`);
  expect(after100.listeners).toBeLessThanOrEqual(after10.listeners);
  expect(after100.nodes).toBeLessThanOrEqual(after10.nodes + 20);
  // 90 more cycles may not grow the JS heap by more than a few hundred bytes each...
  expect(after100.heap - after10.heap).toBeLessThan(1024 * 1024);
  // ...nor the wasm memory by more than one 64 KiB page per 10 cycles.
  expect(wasmAfter100 - wasmAfter10).toBeLessThanOrEqual(9 * 65536);
});

test('a mounted panel leaves the host page’s own links alone', async ({ page }) => {
  await page.goto(`${host}/data-attributes.html`);
  await expect(page.locator('#tokens-panel').getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  await page.evaluate(() => { (window as any).__hostPage = true; });
  await page.getByRole('banner').getByRole('link', { name: 'Examples' }).click();
  // A real navigation of the host's: the new page loaded, the old window state is gone.
  await expect(page).toHaveURL(`${host}/`);
  await expect(page.getByRole('link', { name: 'By data attributes' })).toBeVisible();
  expect(await page.evaluate(() => (window as any).__hostPage)).toBeUndefined();
});

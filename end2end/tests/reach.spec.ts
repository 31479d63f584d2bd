import type { APIRequestContext, Page } from '@playwright/test';
import { test, expect, PASSWORD } from './support';

// Real data widens rows: a 100-character name, a long description, a long owner's name, and a
// token the service disabled by reuse detection, whose note is the longest a row carries. Every
// row's ⋮ must stay inside its table's visible box, at desktop and phone widths, in both
// languages, on both pages.

async function signInAs(request: APIRequestContext, email: string): Promise<string> {
  const reply = await request.post('/api/session', { data: { email, password: PASSWORD } });
  expect(reply.status()).toBe(200);
  return (await reply.json()).csrf_token;
}

async function widenRows(request: APIRequestContext) {
  const csrf = await signInAs(request, 'ben@acme.test');
  const post = (data: object) =>
    request.post('/api/workspaces/ws-acme/tokens', { data, headers: { 'x-csrf-token': csrf } });
  await post({ name: `reach ${'w'.repeat(94)}`, lifetime_days: 30, all_permissions: true });
  await post({
    name: 'reach described',
    lifetime_days: 7, all_permissions: true,
    description: 'Deploys the storefront from the release pipeline every night at 02:00, owned by the platform team; rotate before the quarterly audit.',
  });
  const replayed = await (await post({ name: 'reach replayed', lifetime_days: 30, all_permissions: true })).json();
  const exchange = (agent: string) =>
    request.post('/oauth2/token', {
      form: { grant_type: 'refresh_token', refresh_token: replayed.refresh_token, client_id: 'tcc_acme' },
      headers: { 'user-agent': agent },
    });
  expect((await exchange('owner-app/1.0')).status()).toBe(200);
  // The same rotated-out token from another program: a copy, so reuse detection disables it.
  expect((await exchange('someone-else/2.0')).status()).toBe(400);
}

/** Every rendered row's ⋮ lies within the horizontal bounds of its table's scroll box. */
async function expectMenusInReach(page: Page) {
  const wrap = page.locator('.table-wrap').first();
  await expect(page.locator('table.tokens tbody .row-menu > button').first()).toBeVisible();
  const box = (await wrap.boundingBox())!;
  const menus = await page.locator('table.tokens tbody .row-menu > button').evaluateAll((buttons) =>
    buttons.map((b) => {
      const r = b.getBoundingClientRect();
      return { left: r.left, right: r.right, row: b.closest('tr')?.querySelector('th')?.textContent ?? '' };
    }));
  expect(menus.length).toBeGreaterThan(2);
  for (const m of menus) {
    expect(m.left, `⋮ of “${m.row}”`).toBeGreaterThanOrEqual(box.x - 0.5);
    expect(m.right, `⋮ of “${m.row}”`).toBeLessThanOrEqual(box.x + box.width + 0.5);
  }
}

for (const locale of ['en-US', 'zh-CN']) {
  test.describe(`every row's ⋮ stays in reach (${locale})`, () => {
    test.use({ locale });
    for (const width of [1280, 390]) {
      test(`at ${width} px, on the Users and Admins pages`, async ({ page }) => {
        await page.setViewportSize({ width, height: 900 });
        await widenRows(page.request);
        await page.goto('/w/ws-acme/tokens?status=all');
        await expectMenusInReach(page);
        await page.screenshot({ path: `test-results/reach-users-${locale}-${width}.png`, fullPage: true });
        await signInAs(page.request, 'ada@acme.test');
        await page.goto('/w/ws-acme/admin/tokens');
        await expectMenusInReach(page);
        await page.screenshot({ path: `test-results/reach-admins-${locale}-${width}.png`, fullPage: true });
        // The header is one row on a wide screen and two on a phone, on both pages (it was
        // three, four on the Admins page); the account and the selects' labels are still read.
        const header = page.locator('header.app-header');
        // Its rows: the distinct lines its shown items start on.
        const rows = await header.evaluate((h) => {
          const tops = [...h.children]
            .map((c) => c.getBoundingClientRect())
            .filter((r) => r.width > 1 && r.height > 1)
            .map((r) => r.top + r.height / 2);
          return tops.sort((a, b) => a - b).filter((t, i, all) => i === 0 || t - all[i - 1] > 16).length;
        });
        expect(rows, 'header rows').toBeLessThanOrEqual(width === 390 ? 2 : 1);
        await expect(header.locator('.who')).toContainText('ada@acme.test');
        await expect(header.getByRole('combobox', { name: locale === 'en-US' ? 'Workspace' : '工作区' })).toBeVisible();
      });
    }
  });
}

test('a table too wide for its box keeps its ⋮ at the edge, and an open menu lies above the rows below', async ({ page }) => {
  await page.setViewportSize({ width: 700, height: 900 });
  await widenRows(page.request);
  await signInAs(page.request, 'ada@acme.test');
  await page.goto('/w/ws-acme/admin/tokens');
  await expectMenusInReach(page);
  const first = page.locator('table.tokens tbody .row-menu > button').first();
  await first.click();
  const menu = page.getByRole('menu');
  await expect(menu).toBeVisible();
  // The menu's first item is what the pointer finds at its place, not the next row's ⋮.
  const item = menu.getByRole('menuitem').first();
  const box = (await item.boundingBox())!;
  const hit = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.closest('[role="menuitem"]') !== null,
    [box.x + box.width - 4, box.y + box.height / 2]);
  expect(hit).toBe(true);
  await page.screenshot({ path: 'test-results/reach-admins-700-menu.png' });

  // Its history: every column, the reason last, inside the dialog.
  await item.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('columnheader', { name: 'Reason' })).toBeVisible();
  const edge = (await dialog.boundingBox())!;
  for (const header of await dialog.getByRole('columnheader').all()) {
    const h = (await header.boundingBox())!;
    expect(h.x + h.width, await header.textContent() ?? '').toBeLessThanOrEqual(edge.x + edge.width + 0.5);
  }
  await page.screenshot({ path: 'test-results/reach-history-700.png' });
});

test('on a phone the audit cards have no header row above them and no label for an empty line', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const csrf = await signInAs(page.request, 'ada@acme.test');
  const made = await page.request.post('/api/workspaces/ws-acme/tokens', {
    data: { name: 'reach audit card', lifetime_days: 7, all_permissions: true },
    headers: { 'x-csrf-token': csrf },
  });
  expect(made.status()).toBe(201);
  await page.goto('/w/ws-acme/admin/tokens?tab=audit');
  const cards = page.locator('table.audit tbody tr');
  await expect(cards.first()).toBeVisible();
  await expect(page.locator('table.audit thead')).toHaveCSS('clip-path', 'inset(50%)');
  // A created event has no reason: its Reason line is not shown.
  const created = cards.filter({ hasText: 'Created' }).first();
  await expect(created.locator('[data-label="Reason"]')).toBeHidden();
  await expect(created.locator('[data-label="Time"]')).toBeVisible();
  await page.screenshot({ path: 'test-results/reach-audit-390.png', fullPage: true });
});

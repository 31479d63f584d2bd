import { type Browser } from '@playwright/test';
import { test, expect, expectNoAxeViolations, signIn, PASSWORD } from './support';

/** Signs Cy in on his own browser context and generates tokens; returns their refresh tokens. */
async function cysTokens(browser: Browser, names: string[]): Promise<Record<string, string>> {
  const context = await browser.newContext();
  const request = context.request;
  const me = await (await request.post('/api/session', { data: { email: 'cy@acme.test', password: PASSWORD } })).json();
  const out: Record<string, string> = {};
  for (const name of names) {
    const res = await request.post('/api/workspaces/ws-acme/tokens', {
      data: { name, lifetime_days: 30, all_permissions: true },
      headers: { 'x-csrf-token': me.csrf_token },
    });
    out[name] = (await res.json()).refresh_token;
  }
  await context.close();
  return out;
}

test('an admin finds a member’s token by owner and by pasted secret, disables it with a reason, and audits it', async ({ page, browser }) => {
  const { leaky } = await cysTokens(browser, ['leaky']);
  await page.goto('/admin/tokens');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByRole('tab', { name: 'Tokens' })).toHaveAttribute('aria-selected', 'true');
  const counts = page.getByRole('group', { name: 'Token counts' });
  await expect(counts).toContainText('active');
  await expectNoAxeViolations(page);
  // Each heading is its tab's; a count is pressed while the list shows what it counts, and
  // pressed again clears it; pressed looks unlike a focus ring (filled, not outlined).
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Workspace tokens');
  const active = counts.getByRole('button', { name: /active$/ });
  await expect(active).toHaveAttribute('aria-pressed', 'false');
  const idle = await active.evaluate((e) => getComputedStyle(e).backgroundColor);
  await active.click();
  await expect(page).toHaveURL(/status=active/);
  await expect(active).toHaveAttribute('aria-pressed', 'true');
  expect(await active.evaluate((e) => getComputedStyle(e).backgroundColor)).not.toBe(idle);
  await active.click();
  await expect(page).not.toHaveURL(/status=/);
  await expect(active).toHaveAttribute('aria-pressed', 'false');
  await page.getByRole('tab', { name: 'Members' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Members');
  await page.getByRole('tab', { name: 'Tokens' }).click();

  // By owner: a combobox over the workspace's members, matching any part of a name or email in
  // any case, by keyboard.
  const owner = page.getByRole('combobox', { name: 'Owner' });
  await owner.fill('zed');
  await expect(page.getByRole('status').filter({ hasText: 'No member matches' })).toBeVisible();
  await expect(owner).toHaveAttribute('aria-expanded', 'false');
  await owner.fill('BEN@ACME.TEST');
  await owner.press('Enter');
  await expect(page).toHaveURL(/owner=u-ben/);
  await expect(owner).toHaveValue('Ben Okafor <ben@acme.test>');
  await owner.fill('tanaka');
  await expect(owner).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByRole('listbox', { name: 'Owner' }).getByRole('option')).toHaveText(['Cy Tanaka <cy@acme.test>']);
  await expectNoAxeViolations(page);
  await owner.press('ArrowDown');
  await expect(owner).toHaveAttribute('aria-activedescendant', 'filter-owner-option-0');
  await expect(page.getByRole('option', { name: 'Cy Tanaka <cy@acme.test>' })).toHaveAttribute('aria-selected', 'true');
  await owner.press('Enter');
  await expect(page).toHaveURL(/owner=u-cy/);
  await expect(owner).toHaveValue('Cy Tanaka <cy@acme.test>');
  // The field is not rebuilt under the person who picked: focus stays in it.
  await expect(owner).toBeFocused();
  await expect(page.getByRole('rowheader', { name: 'leaky' })).toBeVisible();
  await expect(page.getByRole('rowheader', { name: 'CI deploy' })).toHaveCount(0);

  // By pasted secret: a malformed string is refused here, with no request.
  const lookups: string[] = [];
  page.on('request', (r) => { if (r.url().includes('/lookup')) lookups.push(r.url()); });
  await page.getByText('Check a leaked token').click();
  const pasteBox = page.getByLabel('Refresh token', { exact: true });
  await pasteBox.fill(leaky.slice(0, -1) + (leaky.endsWith('A') ? 'B' : 'A'));
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await expect(page.getByText('This is not a Token Console refresh token')).toBeVisible();
  // An access token pasted instead is named for what it is.
  await pasteBox.fill('eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1LWN5In0.c2lnbmF0dXJl');
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await expect(page.getByText('This is an access token, not a refresh token: it stops working within an hour')).toBeVisible();
  expect(lookups).toEqual([]);
  await pasteBox.fill(leaky);
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await expect(page.getByText('It is the current refresh token of:')).toBeVisible();
  await expect(page.getByText('Cy Tanaka <cy@acme.test>').last()).toBeVisible();
  expect(lookups.length).toBe(1);
  await expect(pasteBox).toHaveValue('');

  await page.getByRole('button', { name: 'Disable it now' }).click();
  const confirm = page.getByRole('dialog', { name: 'Disable “leaky”?' });
  await confirm.getByLabel('Reason (optional, kept in the audit trail)').fill('posted in #general');
  await expectNoAxeViolations(page);
  await confirm.getByRole('button', { name: 'Disable token' }).click();
  await expect(page.getByText('Token “leaky” disabled.')).toBeVisible();
  await expect(page.getByRole('row', { name: /leaky/ })).toContainText('Disabled');
  // The leak check's answer follows: disabled, nothing left to disable.
  const answer = page.locator('.leak-result');
  await expect(answer).toContainText('Disabled');
  await expect(answer).not.toContainText('Active');
  await expect(page.getByRole('button', { name: 'Disable it now' })).toHaveCount(0);
  const refused = await page.request.post('/oauth2/token', { form: { grant_type: 'refresh_token', client_id: 'tcc_acme', refresh_token: leaky } });
  expect((await refused.json()).error).toBe('invalid_grant');

  // The audit trail shows who, what, why; so does its CSV. Its person filters are the same
  // combobox: part of a name, then a click on the option.
  await page.getByRole('tab', { name: 'Audit trail' }).click();
  await expect(page).toHaveURL(/tab=audit/);
  const by = page.getByRole('combobox', { name: 'By' });
  await by.fill('lovel');
  await page.getByRole('option', { name: 'Ada Lovelace <ada@acme.test>' }).click();
  await expect(page).toHaveURL(/a_actor=u-ada/);
  await expect(by).toHaveValue('Ada Lovelace <ada@acme.test>');
  const event = page.getByRole('row', { name: /leaky/ }).filter({ hasText: 'posted in #general' });
  await expect(event).toContainText('Disabled');
  await expect(event).toContainText('ada@acme.test');
  await expectNoAxeViolations(page);
  const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  const csv = await (await page.request.get(href!)).text();
  expect(csv).toMatch(/,disabled,ada@acme\.test,cy@acme\.test,[^,]*,leaky,[^,]*,posted in #general,,,\r\n/);
  // Back undoes the actor filter, then returns to the Tokens tab with its filter.
  await page.goBack();
  await expect(page).toHaveURL(/tab=audit/);
  await expect(page).not.toHaveURL(/a_actor=/);
  await expect(by).toHaveValue('');
  await page.goBack();
  await expect(page.getByRole('tab', { name: 'Tokens' })).toHaveAttribute('aria-selected', 'true');
  await expect(page).toHaveURL(/owner=u-cy/);
});

test('select all matching acts on the filter, counting only what the action changes, after the admin types the count', async ({ page, browser }) => {
  const names = Array.from({ length: 130 }, (_, i) => `mass ${String(i).padStart(3, '0')}`);
  await cysTokens(browser, names);
  // Cy disables 13 of them himself.
  const cy = await browser.newContext();
  const me = await (await cy.request.post('/api/session', { data: { email: 'cy@acme.test', password: PASSWORD } })).json();
  const { tokens } = await (await cy.request.get('/api/workspaces/ws-acme/tokens')).json();
  const ids = tokens.filter((t: { name: string }) => /^mass 0(0\d|1[0-2])$/.test(t.name)).map((t: { id: string }) => t.id);
  expect(ids.length).toBe(13);
  await cy.request.post('/api/workspaces/ws-acme/tokens/batch', { data: { action: 'disable', ids }, headers: { 'x-csrf-token': me.csrf_token } });
  await cy.close();

  await page.goto('/admin/tokens?q=mass');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByText('130 tokens match')).toBeVisible();
  await page.getByRole('checkbox', { name: 'Select all tokens in view' }).check();
  const toolbar = page.getByRole('toolbar', { name: 'Selected tokens' });
  await expect(toolbar).toContainText('50 selected');
  await page.getByRole('button', { name: 'Select all 130 matching' }).click();
  await expect(page.getByText('All 130 matching tokens are selected.')).toBeVisible();
  // Another page of the same filter keeps all matching, its rows checked; a new filter drops it.
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(page.getByRole('rowheader', { name: 'mass 079' })).toBeVisible();
  await expect(page.getByText('All 130 matching tokens are selected.')).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Select all tokens in view' })).toBeChecked();
  await page.getByRole('button', { name: 'Previous page' }).click();
  await expect(page.getByText('All 130 matching tokens are selected.')).toBeVisible();
  // Disable offers the 117 it can change, not the 130 selected.
  await expect(toolbar).toContainText('13 are already disabled or expired');
  await expect(toolbar.getByRole('button', { name: 'Delete 130' })).toBeVisible();
  await toolbar.getByRole('button', { name: 'Disable 117 of 130 selected' }).click();
  const confirm = page.getByRole('dialog', { name: 'Disable 117 tokens?' });
  const go = confirm.getByRole('button', { name: 'Disable 117 tokens' });
  await expect(go).toBeDisabled();
  await confirm.getByLabel('Type 117 to confirm').fill('130');
  await expect(go).toBeDisabled();
  await confirm.getByLabel('Type 117 to confirm').fill('117');
  await confirm.getByLabel('Reason (optional, kept in the audit trail)').fill('hackathon over');
  await go.click();
  await expect(page.getByText('Disabled 117 tokens; 13 were already disabled or expired.')).toBeVisible();
  await page.goto('/admin/tokens?q=mass&status=active');
  await expect(page.getByRole('cell', { name: 'No token matches this search or filter.' })).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Select all tokens in view' })).toBeDisabled();
  // Typing a search that matches something, then nothing, changes the rows, not the table.
  const table = await page.locator('table.tokens:not(.audit)').elementHandle();
  await page.getByLabel('Status').selectOption('');
  await expect(page.getByRole('rowheader').first()).toBeVisible();
  await page.getByLabel('Search by name').fill('no such token');
  await expect(page.getByRole('cell', { name: 'No token matches this search or filter.' })).toBeVisible();
  expect(await table!.evaluate((t) => t.isConnected)).toBe(true);

  // Pages go back one at a time: Previous from the third page is the second.
  await page.goto('/admin/tokens?q=mass&sort=name&dir=asc');
  const previous = page.getByRole('button', { name: 'Previous page' });
  const next = page.getByRole('button', { name: 'Next page' });
  await expect(page.getByRole('rowheader', { name: 'mass 000' })).toBeVisible();
  await expect(previous).toBeDisabled();
  await next.click();
  await expect(page.getByRole('rowheader', { name: 'mass 050' })).toBeVisible();
  await next.click();
  await expect(page.getByRole('rowheader', { name: 'mass 100' })).toBeVisible();
  await previous.click();
  await expect(page.getByRole('rowheader', { name: 'mass 050' })).toBeVisible();
  await expect(page.getByRole('rowheader', { name: 'mass 100' })).toHaveCount(0);
  await previous.click();
  await expect(page.getByRole('rowheader', { name: 'mass 000' })).toBeVisible();
  await expect(previous).toBeDisabled();
});

test('a count that changed under the admin is refused, and the page counts again', async ({ page, browser }) => {
  await cysTokens(browser, Array.from({ length: 60 }, (_, i) => `drift ${String(i).padStart(3, '0')}`));
  await page.goto('/admin/tokens?q=drift');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByText('60 tokens match')).toBeVisible();
  await page.getByRole('checkbox', { name: 'Select all tokens in view' }).check();
  await page.getByRole('button', { name: 'Select all 60 matching' }).click();
  const toolbar = page.getByRole('toolbar', { name: 'Selected tokens' });
  await expect(toolbar).toContainText('60 selected');

  // The member deletes one of them while the admin decides.
  const cy = await browser.newContext();
  const me = await (await cy.request.post('/api/session', { data: { email: 'cy@acme.test', password: PASSWORD } })).json();
  const { tokens } = await (await cy.request.get('/api/workspaces/ws-acme/tokens')).json();
  const gone = tokens.find((t: { name: string }) => t.name === 'drift 000');
  await cy.request.delete(`/api/workspaces/ws-acme/tokens/${gone.id}`, { headers: { 'x-csrf-token': me.csrf_token } });
  await cy.close();

  await toolbar.getByRole('button', { name: 'Disable 60' }).click();
  await page.getByRole('dialog', { name: 'Disable 60 tokens?' }).getByRole('button', { name: 'Disable 60 tokens' }).click();
  await expect(page.getByText('The number of matching tokens changed. Review the list and confirm again.')).toBeVisible();
  // Nothing was disabled, and the page has read the list and its count again.
  await expect(page.getByText('59 tokens match')).toBeVisible();
  await expect(page.getByRole('row', { name: /drift 059/ })).toContainText('Active');
  // The rows of this page stay selected; "all matching" must be chosen again, at the new count.
  await expect(toolbar).toContainText('50 selected');
  await page.getByRole('button', { name: 'Select all 59 matching' }).click();
  await toolbar.getByRole('button', { name: 'Disable 59' }).click();
  await page.getByRole('dialog', { name: 'Disable 59 tokens?' }).getByRole('button', { name: 'Disable 59 tokens' }).click();
  await expect(page.getByText('Disabled 59 tokens.')).toBeVisible();
});

test('an admin adds a member, who sets a password from the link and signs in', async ({ page, browser }) => {
  await page.goto('/admin/tokens');
  await signIn(page, 'ada@acme.test');
  await page.getByRole('button', { name: 'Add member' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a member to this workspace' });
  await dialog.getByLabel('Email').fill('not an email');
  await dialog.getByRole('button', { name: 'Add member' }).click();
  await expect(dialog.getByText('Enter an email address such as ada@example.com.')).toBeVisible();
  await dialog.getByLabel('Email').fill('dee@acme.test');
  await dialog.getByLabel('Name (optional)').fill('Dee Newman');
  await dialog.getByRole('button', { name: 'Add member' }).click();
  await expect(dialog.getByText('Dee Newman <dee@acme.test> was added.')).toBeVisible();
  const link = await dialog.getByRole('textbox', { name: 'Set-password link' }).inputValue();
  expect(link).toMatch(/\/set-password#/);
  await expectNoAxeViolations(page);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  const dee = await (await browser.newContext()).newPage();
  await dee.goto(link);
  await dee.getByLabel('New password').fill('dee sets a password');
  await dee.getByLabel('Repeat the password').fill('dee sets a password');
  await dee.getByRole('button', { name: 'Set password' }).click();
  await expect(dee.getByText('Your password is set.')).toBeVisible();
  await dee.goto('/tokens');
  await dee.getByLabel('Email').fill('dee@acme.test');
  await dee.getByLabel('Password').fill('dee sets a password');
  await dee.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(dee.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  await expect(dee.getByText('Signed in as dee@acme.test')).toBeVisible();
  // A newcomer's empty page: one Generate button, and no bulk hint with nothing to select.
  await expect(dee.getByText('You have no tokens in this workspace yet.')).toBeVisible();
  // No calendar of expiry dates before there is a token to expire.
  await expect(dee.getByText('Expiry reminders: calendar and email')).toHaveCount(0);
  await expect(dee.getByRole('button', { name: 'Generate token' })).toHaveCount(1);
  await expect(dee.getByText('Select tokens to disable or delete several at once.')).toHaveCount(0);

  // Someone with an account is refused: a member here, or of another workspace only (the
  // operator adds those).
  await page.getByRole('button', { name: 'Add member' }).click();
  await dialog.getByLabel('Email').fill('dee@acme.test');
  await dialog.getByRole('button', { name: 'Add member' }).click();
  await expect(dialog.getByText('This person is a member of this workspace already.')).toBeVisible();
  await dialog.getByLabel('Email').fill('gus@globex.test');
  await dialog.getByRole('button', { name: 'Add member' }).click();
  await expect(dialog.getByText('This person has an account that this workspace did not remove.')).toBeVisible();
  await expect(dialog.getByRole('textbox', { name: 'Set-password link' })).toHaveCount(0);
});

test('on a phone the audit trail is a card per event, its lines side by side with nothing overlapping', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/admin/tokens');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByRole('tab', { name: 'Audit trail' })).toBeVisible();
  // One event at least: a token made with a long name.
  const csrf = (await (await page.request.get('/api/me')).json()).csrf_token;
  await page.request.post('/api/workspaces/ws-acme/tokens', {
    data: { name: 'a token with a rather long name for a phone', lifetime_days: 30, all_permissions: true },
    headers: { 'x-csrf-token': csrf },
  });
  await page.getByRole('tab', { name: 'Audit trail' }).click();
  const row = page.locator('table.audit tbody tr').first();
  await expect(row).toBeVisible();
  // The lines shown: an empty one (no reason) is left out of the card.
  const boxes = await row.locator('td, th').evaluateAll((cells) =>
    cells.filter((c) => getComputedStyle(c).display !== 'none')
      .map((c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; }));
  expect(boxes.length).toBeGreaterThan(5);
  for (const [i, a] of boxes.entries()) {
    // Each line spans the card (the token's name was once squeezed into a 30 px column).
    expect(a.w, `cell ${i} width`).toBeGreaterThan(250);
    for (const b of boxes.slice(i + 1)) {
      const overlap = Math.min(a.x + a.w, b.x + b.w) > Math.max(a.x, b.x) && Math.min(a.y + a.h, b.y + b.h) > Math.max(a.y, b.y);
      expect(overlap, `cells overlap: ${JSON.stringify([a, b])}`).toBe(false);
    }
  }
  await expectNoAxeViolations(page);
});

test.describe('in Simplified Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('the Admins page and its audit trail, with no accessibility violations', async ({ page }) => {
    await page.goto('/admin/tokens');
    await signIn(page, 'ada@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    await expect(page.getByRole('heading', { name: '工作区令牌' })).toBeVisible();
    await expect(page.getByRole('tab', { name: '令牌' })).toHaveAttribute('aria-selected', 'true');
    // A count follows its label in Chinese: "7 天内到期：2", never "2 7 天内到期".
    const counts = page.getByRole('group', { name: '令牌统计' });
    await expect(counts.getByRole('button', { name: /^有效：\d+$/ })).toBeVisible();
    await expect(counts.getByRole('button', { name: /^7 天内到期：\d+$/ })).toBeVisible();
    await expect(page.getByLabel('到期范围')).toBeVisible();
    await page.getByRole('combobox', { name: '所有者' }).fill('不存在');
    await expect(page.getByRole('status').filter({ hasText: '没有匹配的成员' })).toBeVisible();
    await page.getByRole('combobox', { name: '所有者' }).fill('TANAKA');
    await expect(page.getByRole('listbox', { name: '所有者' }).getByRole('option')).toHaveText(['Cy Tanaka <cy@acme.test>']);
    // Enter takes the one member the text finds; Escape, the list closed, empties the filter.
    await page.getByRole('combobox', { name: '所有者' }).press('Enter');
    await expect(page).toHaveURL(/owner=u-cy/);
    await page.getByRole('combobox', { name: '所有者' }).press('Escape');
    await expect(page).not.toHaveURL(/owner=/);
    await expect(page.getByRole('combobox', { name: '所有者' })).toHaveValue('');
    // A pasted access token is named for what it is, in Chinese too.
    await page.getByText('检查泄露的令牌').click();
    await page.getByLabel('刷新令牌', { exact: true }).fill('eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1LWN5In0.c2lnbmF0dXJl');
    await page.getByRole('button', { name: '检查', exact: true }).click();
    await expect(page.getByText('这是访问令牌，不是刷新令牌')).toBeVisible();
    await expect(page.getByRole('columnheader', { name: '所有者' })).toBeVisible();
    await expectNoAxeViolations(page);
    // Arrow keys move between the tabs.
    await page.getByRole('tab', { name: '令牌' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('tab', { name: '审计记录' })).toBeFocused();
    await expect(page.getByRole('tab', { name: '审计记录' })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('combobox', { name: '操作', exact: true })).toBeVisible();
    await expectNoAxeViolations(page);
  });
});

test.describe('in a reader’s time zone east of UTC', () => {
  test.use({ timezoneId: 'Asia/Shanghai' });

  test('the audit trail’s dates are the reader’s days, as its rows show their times', async ({ page }) => {
    await page.goto('/admin/tokens?tab=audit');
    await signIn(page, 'ada@acme.test');
    await expect(page.getByRole('tab', { name: 'Audit trail' })).toHaveAttribute('aria-selected', 'true');
    // Each event's time says its zone (the CSV's are UTC).
    await expect(page.getByRole('cell', { name: /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} UTC\+8$/ }).first()).toBeVisible();
    const asked = (name: string) => page.waitForRequest((r) => r.url().includes('/admin/audit?') && r.url().includes(`${name}=`));
    let request = asked('from');
    await page.getByLabel('From', { exact: true }).fill('2026-11-22');
    // Midnight in Shanghai is 16:00 UTC the day before.
    const instant = async (r: Promise<{ url(): string }>, name: string) =>
      new Date(new URL((await r).url()).searchParams.get(name)!).toISOString();
    expect(await instant(request, 'from')).toBe('2026-11-21T16:00:00.000Z');
    request = asked('to');
    await page.getByLabel('Until').fill('2026-11-22');
    // "Until" takes in the whole day: up to the next midnight there.
    expect(await instant(request, 'to')).toBe('2026-11-22T16:00:00.000Z');
  });
});

test('a search means the same on both pages: “école” finds “ÉCOLE nightly” on each', async ({ page, browser }) => {
  await cysTokens(browser, ['ÉCOLE nightly', 'GROẞE Sync']);
  await page.goto('/tokens');
  await signIn(page, 'cy@acme.test');
  const users = page.getByRole('table', { name: 'API tokens' });
  for (const [query, hit] of [['école', 'ÉCOLE nightly'], ['große', 'GROẞE Sync']]) {
    await page.getByLabel('Search by name').fill(query);
    await expect(users.getByRole('rowheader', { name: hit })).toBeVisible();
  }
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto('/admin/tokens');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByRole('heading', { name: 'Workspace tokens' })).toBeVisible();
  for (const [query, hit] of [['école', 'ÉCOLE nightly'], ['große', 'GROẞE Sync']]) {
    await page.goto(`/admin/tokens?q=${encodeURIComponent(query)}`);
    await expect(page.getByText('1 token matches')).toBeVisible();
    await expect(page.getByRole('rowheader', { name: hit })).toBeVisible();
  }
});

test('the Admins search runs as it is typed, ignores accents, and a burst of typing is one step of Back', async ({ page, browser }) => {
  await cysTokens(browser, ['École export']);
  await page.goto('/admin/tokens');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByText(/tokens? match/)).toBeVisible();
  const box = page.getByLabel('Search by name');
  // Typed without accents, letter by letter, and no Enter: one request after the pause.
  const searches: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/admin/tokens?') && r.url().includes('q=')) searches.push(new URL(r.url()).searchParams.get('q')!);
  });
  await box.pressSequentially('ecole ex', { delay: 30 });
  await expect(page).toHaveURL(/q=ecole\+ex|q=ecole%20ex/);
  await expect(page.getByRole('rowheader', { name: 'École export' })).toBeVisible();
  await expect(page.getByText('1 token matches')).toBeVisible();
  expect(searches.filter((q) => q === 'ecole ex').length).toBe(1);
  expect(searches.length, `${searches}`).toBeLessThanOrEqual(2);
  // What is typed stays while results come; the box keeps its focus.
  await expect(box).toBeFocused();
  await expect(box).toHaveValue('ecole ex');
  // Back undoes the whole search at once, and the box follows.
  await page.goBack();
  await expect(page).not.toHaveURL(/q=/);
  await expect(box).toHaveValue('');
});

test.describe('in a time zone whose clocks skip midnight', () => {
  test.use({ timezoneId: 'America/Havana' });

  test('a day that starts at 01:00 starts there, not an hour early', async ({ page }) => {
    await page.goto('/admin/tokens?tab=audit');
    await signIn(page, 'ada@acme.test');
    await expect(page.getByRole('tab', { name: 'Audit trail' })).toHaveAttribute('aria-selected', 'true');
    const request = page.waitForRequest((r) => r.url().includes('/admin/audit?') && r.url().includes('from='));
    // Cuba's clocks go from 00:00 to 01:00 on 8 March 2026: the day's first instant is 01:00 -04.
    await page.getByLabel('From', { exact: true }).fill('2026-03-08');
    const from = new URL((await request).url()).searchParams.get('from')!;
    expect(new Date(from).toISOString()).toBe('2026-03-08T05:00:00.000Z');
  });
});

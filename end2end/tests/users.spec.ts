import { type Page, type APIRequestContext } from '@playwright/test';
import { test, expect, expectNoAxeViolations, signIn, PASSWORD } from './support';

/** Signs a fresh browser in and opens the Users page. */
async function open(page: Page, email: string, labels?: Parameters<typeof signIn>[2]) {
  await page.goto('/tokens');
  await signIn(page, email, labels);
  await expect(page.getByRole('table')).toBeVisible();
}

/** The session's CSRF token, for calls made behind the page's back. */
async function csrf(request: APIRequestContext): Promise<string> {
  return (await (await request.get('/api/me')).json()).csrf_token;
}

async function exchange(request: APIRequestContext, refreshToken: string) {
  return request.post('/oauth2/token', {
    form: { grant_type: 'refresh_token', client_id: 'tcc_acme', refresh_token: refreshToken },
  });
}

/** Everything the browser keeps for this origin, as one string. */
async function storedEverywhere(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const dump = (s: Storage) => Object.keys(s).map((k) => `${k}=${s.getItem(k)}`).join(';');
    const dbs = (await indexedDB.databases()).map((d) => d.name).join(',');
    return [dump(localStorage), dump(sessionStorage), dbs, document.cookie, location.href].join('|');
  });
}

test('generate, copy both, close: the secrets are gone, and the copied token works until disabled', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await open(page, 'cy@acme.test');
  await page.getByRole('button', { name: 'Generate token' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Generate a token' });
  await expect(dialog).toBeVisible();
  await expectNoAxeViolations(page);
  // A name Cy has used already is pointed out, in any case, and not refused.
  await dialog.getByLabel('Name').fill('GRAFANA datasource');
  await expect(dialog.getByText('You already have a token named “GRAFANA datasource”.')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Generate token' })).toBeEnabled();
  await expectNoAxeViolations(page);
  await dialog.getByLabel('Name').fill('e2e deploy');
  await expect(dialog.getByText(/You already have a token named/)).toBeHidden();
  await dialog.getByRole('button', { name: '7 days' }).click();
  await expect(dialog.getByText(/The refresh token expires on/)).toBeVisible();
  await dialog.getByRole('button', { name: 'Generate token' }).click();

  const reveal = page.getByRole('dialog', { name: 'Copy your new token' });
  await expect(reveal).toBeVisible();
  // The form that had focus is gone: focus is on the reveal's title, not the page's body.
  await expect(reveal.getByRole('heading', { name: 'Copy your new token' })).toBeFocused();
  await expect(reveal).toContainText('It works in Acme only: any other workspace refuses it.');
  // Before the secrets, what rotation means: a retired refresh token sent again disables it.
  const said = (await reveal.textContent())!;
  const rotation = said.indexOf('Each exchange at the token endpoint answers with a new refresh token');
  expect(rotation).toBeGreaterThan(-1);
  expect(rotation).toBeLessThan(said.indexOf('Access token (expires in 1 hour)'));
  await reveal.getByText(/^Copy both as \.env · /).click();
  await expect(reveal.locator('#curl-command')).toHaveValue(/^# The answer holds a new refresh_token: keep it in place of this one/);
  await expectNoAxeViolations(page);
  const access = await reveal.getByLabel('Access token (expires in 1 hour)', { exact: true }).inputValue();
  const refresh = await reveal.getByLabel(/^Refresh token/).inputValue();
  expect(refresh).toMatch(/^tcr_[0-9A-Za-z]{36}$/);

  await reveal.getByRole('button', { name: /^Copy Access token/ }).click();
  await expect(reveal.getByRole('button', { name: /^Copied Access token/ })).toBeVisible();
  await expect(reveal.getByRole('status').first()).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(access);
  await reveal.getByRole('button', { name: /^Copy Refresh token/ }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(refresh);
  await reveal.getByRole('button', { name: 'Copy Both tokens as .env lines' }).click();
  const env = await page.evaluate(() => navigator.clipboard.readText());
  expect(env).toContain(`TOKEN_CONSOLE_ACCESS_TOKEN=${access}`);
  expect(env).toContain(`TOKEN_CONSOLE_REFRESH_TOKEN=${refresh}`);
  expect(env).toContain('TOKEN_CONSOLE_CLIENT_ID=tcc_acme');

  // Copied, so Close closes at once; focus goes back to the button that opened the dialog.
  await reveal.getByRole('button', { name: 'Close' }).click();
  await expect(reveal).toBeHidden();
  await expect(page.getByRole('button', { name: 'Generate token' }).first()).toBeFocused();
  await expect(page.getByRole('rowheader', { name: 'e2e deploy' })).toBeVisible();
  for (const secret of [access, refresh]) {
    expect(await page.content()).not.toContain(secret);
    expect(await storedEverywhere(page)).not.toContain(secret);
  }
  // Not by reopening the dialog, nor by reload, nor by Back.
  await page.getByRole('button', { name: 'Generate token' }).first().click();
  await expect(page.getByRole('dialog').getByLabel('Name')).toHaveValue('');
  await page.keyboard.press('Escape');
  await page.reload();
  await expect(page.getByRole('rowheader', { name: 'e2e deploy' })).toBeVisible();
  await page.goBack();
  expect(await page.content()).not.toContain(refresh);

  // The copied refresh token works at the token endpoint, as a client would use it.
  await page.goto('/tokens');
  const first = await exchange(page.request, refresh);
  expect(first.status()).toBe(200);
  const rotated = (await first.json()).refresh_token;

  // Disable it by keyboard from its menu: the refresh token stops working.
  const menuButton = page.getByRole('button', { name: 'Actions for e2e deploy' });
  await menuButton.focus();
  await page.keyboard.press('Enter');
  const menu = page.getByRole('menu', { name: 'Actions for e2e deploy' });
  await expect(menu.getByRole('menuitem')).toHaveText(['History', 'Edit description', 'Regenerate', 'Disable', 'Delete']);
  // Only Delete, which takes the token off the list for good, is red.
  const colour = (name: string) => menu.getByRole('menuitem', { name }).evaluate((e) => getComputedStyle(e).color);
  expect(await colour('Disable')).toBe(await colour('History'));
  expect(await colour('Delete')).not.toBe(await colour('Disable'));
  await expect(menu.getByRole('menuitem', { name: 'History' })).toBeFocused();
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowUp');
  await expect(menu.getByRole('menuitem', { name: 'Disable' })).toBeFocused();
  await expectNoAxeViolations(page);
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('dialog', { name: 'Disable “e2e deploy”?' });
  await expect(confirm).toContainText(/wherever the service is asked\. A resource server that checks them itself accepts them until they expire, at the latest at \d\d:\d\d UTC/);
  await expectNoAxeViolations(page);
  await confirm.getByRole('button', { name: 'Disable token' }).click();
  await expect(page.getByText('Token “e2e deploy” disabled.')).toBeVisible();
  // Focus is back on the row's menu button, the row built again with its new status.
  await expect(page.getByRole('row', { name: /e2e deploy/ })).toContainText('Disabled');
  await expect(page.getByRole('button', { name: 'Actions for e2e deploy' })).toBeFocused();
  // Its expiry no longer matters: the row says when it was disabled instead of "in 7 days".
  const row = page.getByRole('row', { name: /e2e deploy/ });
  await expect(row).toContainText(/Disabled [A-Z][a-z]{2} \d{1,2}, \d{4} by \u2068Cy Tanaka\u2069/);
  await expect(row).not.toContainText(/in \d+ days?/);
  // Each date has its full date, time and zone on hover, and its time and zone beside it while
  // keyboard focus is in the row.
  const created = row.locator('.when').first();
  await page.keyboard.press('Shift+Tab');
  await expect(row.getByRole('checkbox')).toBeFocused();
  await expect(created).toHaveAttribute('title', /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} UTC([+-]\d{1,2}(:\d{2})?)?$/);
  expect(await created.evaluate((el) => getComputedStyle(el, '::after').content)).toMatch(/^" · \d{2}:\d{2} UTC/);
  await page.getByRole('heading', { level: 1 }).click();
  expect(await created.evaluate((el) => getComputedStyle(el, '::after').content)).toBe('none');
  const after = await exchange(page.request, rotated);
  expect(after.status()).toBe(400);
  expect((await after.json()).error).toBe('invalid_grant');
});

test('when the clipboard is refused, the text is selected and the user is told how to copy', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(navigator, 'clipboard', {
      value: { writeText: () => Promise.reject(new DOMException('blocked', 'NotAllowedError')) },
    });
  });
  await open(page, 'cy@acme.test');
  await page.getByRole('button', { name: 'Generate token' }).first().click();
  await page.getByRole('dialog').getByLabel('Name').fill('no clipboard');
  await page.getByRole('dialog').getByRole('button', { name: 'Generate token' }).click();
  const reveal = page.getByRole('dialog', { name: 'Copy your new token' });
  const field = reveal.getByLabel(/^Refresh token/);
  await reveal.getByRole('button', { name: /^Copy Refresh token/ }).click();
  await expect(reveal.getByText('Copying is not allowed here. The text is selected')).toBeVisible();
  await expect(field).toBeFocused();
  const selected = await field.evaluate((el: HTMLInputElement) => el.value.slice(el.selectionStart!, el.selectionEnd!));
  expect(selected).toBe(await field.inputValue());
  // Nothing was copied, so closing asks first; Escape keeps the dialog.
  await reveal.getByRole('button', { name: 'Close' }).click();
  await expect(reveal.getByText('Close without copying the refresh token?')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(reveal.getByText('Close without copying the refresh token?')).toBeHidden();
  await expect(reveal).toBeVisible();
  await reveal.getByRole('button', { name: 'Close' }).click();
  await reveal.getByRole('button', { name: 'Close anyway' }).click();
  await expect(reveal).toBeHidden();
});

test('bulk disable counts the token found disabled as done; bulk delete reports the one that failed; both remove', async ({ page }) => {
  await open(page, 'ben@acme.test');
  const token = await csrf(page.request);
  const ids: Record<string, string> = {};
  for (const name of ['bulk one', 'bulk two', 'bulk three']) {
    const res = await page.request.post('/api/workspaces/ws-acme/tokens', {
      data: { name, lifetime_days: 30, all_permissions: true },
      headers: { 'x-csrf-token': token },
    });
    ids[name] = (await res.json()).token.id;
  }
  await page.reload();
  await page.getByLabel('Search by name').fill('bulk');
  await expect(page).toHaveURL(/q=bulk/);
  await expect(page.getByRole('row')).toHaveCount(4);
  await page.getByRole('checkbox', { name: 'Select all tokens in view' }).check();
  const toolbar = page.getByRole('toolbar', { name: 'Selected tokens' });
  await expect(toolbar).toContainText('3 selected');
  await expectNoAxeViolations(page);

  // Someone disables one behind the page's back (in another tab, say).
  await page.request.post(`/api/workspaces/ws-acme/tokens/${ids['bulk two']}/disable`, { headers: { 'x-csrf-token': token } });
  await toolbar.getByRole('button', { name: 'Disable 3' }).click();
  const confirm = page.getByRole('dialog', { name: 'Disable 3 tokens?' });
  // The button says the title's verb and count.
  await confirm.getByRole('button', { name: 'Disable 3 tokens' }).click();
  // What happened, counted: the one found disabled is no failure, it is as the user asked.
  await expect(page.getByText('Disabled 2 tokens; 1 was already disabled or expired.')).toBeVisible();
  await expect(page.getByText(/failed/)).toHaveCount(0);
  // All three are settled, so none stays selected; the list is read again and shows what is true now.
  await expect(page.getByRole('toolbar', { name: 'Selected tokens' })).toHaveCount(0);
  await expect(page.getByRole('checkbox', { name: 'Select bulk two' })).not.toBeChecked();
  for (const name of ['bulk one', 'bulk two', 'bulk three']) {
    await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText('Disabled');
  }

  // Someone deletes one behind the page's back; shift-click from three to one, then delete all.
  await page.request.delete(`/api/workspaces/ws-acme/tokens/${ids['bulk two']}`, { headers: { 'x-csrf-token': token } });
  await page.getByRole('checkbox', { name: 'Select bulk three' }).click();
  await page.getByRole('checkbox', { name: 'Select bulk one' }).click({ modifiers: ['Shift'] });
  await expect(toolbar).toContainText('3 selected');
  // Nothing here can be disabled: no dead "Disable 0" button, and the note says why.
  await expect(toolbar.getByRole('button', { name: /^Disable/ })).toHaveCount(0);
  await expect(toolbar).toContainText('3 are already disabled or expired');
  await toolbar.getByRole('button', { name: 'Delete 3' }).click();
  await page.getByRole('dialog', { name: 'Delete 3 tokens?' }).getByRole('button', { name: 'Delete 3 tokens' }).click();
  await expect(page.getByText('Deleted 2 tokens.')).toBeVisible();
  await expect(page.getByText('1 token failed:')).toBeVisible();
  await expect(page.getByText('bulk two: no longer exists')).toBeVisible();
  // Gone everywhere, so none stays selected.
  await expect(page.getByRole('toolbar', { name: 'Selected tokens' })).toHaveCount(0);
  for (const name of ['bulk one', 'bulk two', 'bulk three']) {
    await expect(page.getByRole('rowheader', { name })).toHaveCount(0);
  }
});

test('the view lives in the URL: sort, status and search survive a reload and a shared link', async ({ page, browser }) => {
  await open(page, 'ben@acme.test');
  await page.getByRole('button', { name: 'Name' }).click();
  await expect(page).toHaveURL(/sort=name/);
  await expect(page.getByRole('columnheader', { name: 'Name' })).toHaveAttribute('aria-sort', 'ascending');
  await page.getByLabel('Status').selectOption('active');
  await expect(page).toHaveURL(/status=active/);
  // Each row's name, without the note and permissions under it.
  const names = async () => page.locator('th.name > span[id^="token-name-"]').allTextContents();
  const before = await names();
  expect(before).toEqual([...before].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
  expect(before).not.toContain('Old backup script');
  await page.reload();
  await expect(page.getByLabel('Status')).toHaveValue('active');
  expect(await names()).toEqual(before);

  const shared = page.url();
  const other = await browser.newContext();
  const second = await other.newPage();
  await second.goto(shared);
  await signIn(second, 'ben@acme.test');
  await expect(second).toHaveURL(shared);
  await expect(second.getByRole('columnheader', { name: 'Name' })).toHaveAttribute('aria-sort', 'ascending');
  await other.close();
});

test('the whole generate flow by keyboard', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await open(page, 'cy@acme.test');
  await page.getByRole('button', { name: 'Generate token' }).first().focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog').getByLabel('Name')).toBeFocused();
  await page.keyboard.type('keyboard token');
  await page.keyboard.press('Enter');
  const reveal = page.getByRole('dialog', { name: 'Copy your new token' });
  await expect(reveal).toBeVisible();
  // Tab to the refresh token's Copy button and press it: once the refresh token is copied,
  // Escape closes without asking.
  await reveal.getByLabel(/^Refresh token/).focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(reveal.getByRole('button', { name: 'Copied' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(reveal).toBeHidden();
  await expect(page.getByRole('button', { name: 'Generate token' }).first()).toBeFocused();
  await expect(page.getByRole('rowheader', { name: 'keyboard token' })).toBeVisible();
});

test('dialogs by keyboard: Escape asks before losing typed words or an uncopied token, and the question takes the focus', async ({ page }) => {
  await open(page, 'cy@acme.test');
  const generate = page.getByRole('button', { name: 'Generate token' }).first();
  await generate.click();
  const dialog = page.getByRole('dialog', { name: /^Generate a token/ });
  // An empty form closes on Escape.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  // A half-filled one asks first; the second Escape discards it.
  await generate.click();
  await dialog.getByLabel('Name', { exact: true }).fill('half typed');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('alert').filter({ hasText: 'Press Escape again to discard' })).toBeVisible();
  await expect(dialog.getByLabel('Name', { exact: true })).toHaveValue('half typed');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  // The reveal: Escape before the refresh token is copied asks, with the focus on Keep it open.
  await generate.click();
  await expect(dialog.getByLabel('Name', { exact: true })).toHaveValue('');
  await dialog.getByLabel('Name', { exact: true }).fill('escape asked');
  await page.keyboard.press('Enter');
  const reveal = page.getByRole('dialog', { name: /Copy your new token/ });
  await expect(reveal).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(reveal.getByRole('button', { name: 'Keep it open' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(reveal.getByRole('button', { name: 'Keep it open' })).toHaveCount(0);
  await reveal.getByRole('button', { name: 'Close', exact: true }).click();
  await reveal.getByRole('button', { name: 'Close anyway' }).click();
  // Regenerate shows the kept name without offering it: no focus stop, no field look.
  await page.getByRole('button', { name: 'Actions for escape asked' }).click();
  await page.getByRole('menuitem', { name: 'Regenerate' }).click();
  const again = page.getByRole('dialog', { name: /^Regenerate/ });
  const kept = again.getByLabel('Name', { exact: true });
  await expect(kept).toHaveAttribute('tabindex', '-1');
  await expect(kept).not.toBeFocused();
  await expect(again.getByLabel('Lifetime in days')).toBeFocused();
  expect(await kept.evaluate((e) => getComputedStyle(e).borderStyle)).toBe('dashed');
  // Its overlap choices sit in a bordered group under their legend.
  const group = again.getByRole('group', { name: 'The old token keeps working' });
  expect(await group.evaluate((e) => getComputedStyle(e).borderTopStyle)).toBe('solid');
  await again.getByRole('button', { name: 'Cancel' }).click();
});

test('no expiry date for a lifetime out of range, and copying only the access token still asks before closing', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await open(page, 'cy@acme.test');
  await page.getByRole('button', { name: 'Generate token' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Generate a token' });
  await dialog.getByLabel('Name').fill('access only');
  const lifetime = dialog.getByLabel('Lifetime in days');
  const expiry = dialog.getByText(/The refresh token expires on/);
  for (const bad of ['0', '366', '']) {
    await lifetime.fill(bad);
    await expect(expiry, `lifetime "${bad}"`).toBeHidden();
  }
  await lifetime.fill('30');
  await expect(expiry).toBeVisible();
  await dialog.getByRole('button', { name: 'Generate token' }).click();
  const reveal = page.getByRole('dialog', { name: 'Copy your new token' });
  await reveal.getByRole('button', { name: /^Copy Access token/ }).click();
  await expect(reveal.getByRole('button', { name: /^Copied Access token/ })).toBeVisible();
  // The access token is gone within the hour: the question is about the refresh token.
  await reveal.getByRole('button', { name: 'Close' }).click();
  await expect(reveal.getByText('Close without copying the refresh token?')).toBeVisible();
  await reveal.getByRole('button', { name: /^Copy Refresh token/ }).click();
  await reveal.getByRole('button', { name: 'Close' }).click();
  await expect(reveal).toBeHidden();
});

test('a skip link leads past the header, and deleting a token moves focus to the next row\'s menu', async ({ page }) => {
  await open(page, 'cy@acme.test');
  const token = await csrf(page.request);
  for (const name of ['focus one', 'focus two', 'focus three']) {
    await page.request.post('/api/workspaces/ws-acme/tokens', {
      data: { name, lifetime_days: 30, all_permissions: true }, headers: { 'x-csrf-token': token },
    });
  }
  await page.reload();
  await expect(page.getByRole('rowheader', { name: 'focus two' })).toBeVisible();
  // The first Tab stop is the skip link; it moves focus to the page itself.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#main')).toBeFocused();
  // Delete "focus two" from its menu: focus lands on the menu of the row that was after it.
  const names = await page.locator('th.name > span[id^="token-name-"]').allTextContents();
  const at = names.indexOf('focus two');
  const neighbour = names[at + 1] ?? names[at - 1];
  await page.getByRole('button', { name: 'Actions for focus two' }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete “focus two”?' }).getByRole('button', { name: 'Delete token' }).click();
  await expect(page.getByRole('rowheader', { name: 'focus two' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: `Actions for ${neighbour}` })).toBeFocused();
});

test('a list read late after Disable leaves focus in the menu the user opened meanwhile', async ({ page }) => {
  await open(page, 'cy@acme.test');
  const token = await csrf(page.request);
  for (const name of ['late one', 'late two']) {
    await page.request.post('/api/workspaces/ws-acme/tokens', {
      data: { name, lifetime_days: 30, all_permissions: true }, headers: { 'x-csrf-token': token },
    });
  }
  await page.reload();
  await page.getByRole('button', { name: 'Actions for late one' }).click();
  await page.getByRole('menuitem', { name: 'Disable' }).click();
  // The list is read again after the Disable; hold that answer until another menu is open.
  let release = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/api/workspaces/ws-acme/tokens', async (route) => {
    if (route.request().method() === 'GET') await held;
    await route.continue();
  });
  await page.getByRole('dialog', { name: 'Disable “late one”?' }).getByRole('button', { name: 'Disable token' }).click();
  await expect(page.getByText('Token “late one” disabled.')).toBeVisible();
  await page.getByRole('button', { name: 'Actions for late two' }).click();
  const menu = page.getByRole('menu', { name: 'Actions for late two' });
  await expect(menu.getByRole('menuitem', { name: 'History' })).toBeFocused();
  release();
  await expect(page.getByRole('row', { name: /late one/ })).toContainText('Disabled');
  // The rebuilt row did not take focus back, and the open menu stayed open.
  await expect(menu.getByRole('menuitem', { name: 'History' })).toBeFocused();
  await menu.getByRole('menuitem', { name: 'Delete' }).click();
  await expect(page.getByRole('dialog', { name: 'Delete “late two”?' })).toBeVisible();
});

test('a 100-character name wraps in its confirmation and is shortened in its toast; toasts never pile past three', async ({ page }, info) => {
  await open(page, 'cy@acme.test');
  const token = await csrf(page.request);
  // Names of their own on a retry, which finds the first attempt's tokens still there.
  const long = 'L'.repeat(99) + String(info.retry);
  const piles = [1, 2, 3, 4].map((n) => `pile ${n}.${info.retry}`);
  for (const name of [long, ...piles]) {
    await page.request.post('/api/workspaces/ws-acme/tokens', {
      data: { name, lifetime_days: 30, all_permissions: true }, headers: { 'x-csrf-token': token },
    });
  }
  await page.reload();
  await page.getByRole('button', { name: `Actions for ${long}` }).click();
  await page.getByRole('menuitem', { name: 'Disable' }).click();
  const confirm = page.getByRole('dialog', { name: `Disable “${long}”?` });
  await expect(confirm).toBeVisible();
  // The title wraps inside the dialog instead of running out of it.
  expect(await confirm.evaluate((d) => d.scrollWidth <= d.clientWidth)).toBe(true);
  await confirm.getByRole('button', { name: 'Disable token' }).click();
  await expect(page.getByText(`Token “${'L'.repeat(39)}…” disabled.`)).toBeVisible();
  for (const name of piles) {
    await page.getByRole('button', { name: `Actions for ${name}` }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: `Delete “${name}”?` }).getByRole('button', { name: 'Delete token' }).click();
    await expect(page.getByText(`Token “${name}” deleted.`)).toBeVisible();
  }
  // Five messages inside six seconds; the newest three are shown.
  await expect(page.locator('.toasts .toast')).toHaveCount(3);
  await expect(page.locator('.toasts')).toContainText(piles[3]);
});

test('leaving the page while the secrets are shown makes the browser ask first', async ({ page }) => {
  await open(page, 'cy@acme.test');
  await page.getByRole('button', { name: 'Generate token' }).first().click();
  await page.getByRole('dialog').getByLabel('Name').fill('about to leave');
  await page.getByRole('dialog').getByRole('button', { name: 'Generate token' }).click();
  await expect(page.getByRole('dialog', { name: 'Copy your new token' })).toBeVisible();
  const asked = new Promise<string>((resolve) => page.once('dialog', (d) => { resolve(d.type()); d.accept(); }));
  await page.close({ runBeforeUnload: true });
  expect(await asked).toBe('beforeunload');
});

test('a long list is paged: the page is in the URL, and the selection survives paging', async ({ page }) => {
  await page.goto('/tokens');
  await signIn(page, 'gus@globex.test');
  await expect(page.getByRole('table')).toBeVisible();
  const token = await csrf(page.request);
  for (let i = 0; i < 60; i += 1) {
    await page.request.post('/api/workspaces/ws-globex/tokens', {
      data: { name: `paged ${String(i).padStart(2, '0')}`, lifetime_days: 30, all_permissions: true },
      headers: { 'x-csrf-token': token },
    });
  }
  await page.reload();
  await expect(page.getByText('1–50 of 61')).toBeVisible();
  await expect(page.getByRole('rowheader')).toHaveCount(50);
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByText('51–61 of 61')).toBeVisible();
  await expect(page.getByRole('rowheader', { name: 'Globex sync' })).toBeVisible();
  await page.getByRole('checkbox', { name: 'Select all tokens in view' }).check();
  const toolbar = page.getByRole('toolbar', { name: 'Selected tokens' });
  await expect(toolbar).toContainText('11 selected');
  await page.getByRole('button', { name: 'Previous page' }).click();
  await expect(page.getByText('1–50 of 61')).toBeVisible();
  await expect(toolbar).toContainText('11 selected');
  await expect(page.getByRole('checkbox', { name: 'Select all tokens in view' })).not.toBeChecked();
  // A new search starts again at page 1, and drops the selected rows it hides: page 2 held
  // "paged 00" to "paged 09" and "Globex sync"; the search keeps the ten.
  await page.getByLabel('Search by name').fill('paged 0');
  await expect(page).not.toHaveURL(/page=2/);
  await expect(page.getByRole('rowheader')).toHaveCount(10);
  await expect(toolbar).toContainText('10 selected');
  await expect(page.getByRole('checkbox', { name: 'Select all tokens in view' })).toBeChecked();
  // Every row on one page, if the reader asks; the choice survives a change of search.
  await page.getByLabel('Search by name').fill('');
  await page.getByRole('combobox', { name: 'Rows per page' }).selectOption('all');
  await expect(page).toHaveURL(/per_page=all/);
  await expect(page.getByRole('rowheader')).toHaveCount(61);
  await page.getByLabel('Search by name').fill('paged');
  await expect(page.getByRole('rowheader')).toHaveCount(60);
  await expect(page).toHaveURL(/per_page=all/);
  // A search that matches nothing keeps the table (the same element: its header and sort stay),
  // says so in it, and leaves nothing to select.
  const table = await page.locator('table.tokens:not(.audit)').elementHandle();
  await page.getByLabel('Search by name').fill('no such token');
  await expect(page.getByRole('cell', { name: 'No token matches this search or filter.' })).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Select all tokens in view' })).toBeDisabled();
  expect(await table!.evaluate((t) => t.isConnected)).toBe(true);
  await page.getByLabel('Search by name').fill('paged');
  await expect(page.getByRole('rowheader')).toHaveCount(60);
  await expect(page.getByRole('checkbox', { name: 'Select all tokens in view' })).toBeEnabled();
  expect(await table!.evaluate((t) => t.isConnected)).toBe(true);
});

test('every row on one page is windowed, and scrolls through all of them under the page\'s CSP', async ({ page }) => {
  await page.goto('/tokens');
  await signIn(page, 'gus@globex.test');
  await expect(page.getByRole('table')).toBeVisible();
  const token = await csrf(page.request);
  const have = (await (await page.request.get('/api/workspaces/ws-globex/tokens')).json()).tokens.length;
  for (let i = have; i < 260; i += 1) {
    await page.request.post('/api/workspaces/ws-globex/tokens', {
      data: { name: `windowed ${i}`, lifetime_days: 30, all_permissions: true },
      headers: { 'x-csrf-token': token },
    });
  }
  await page.goto('/w/ws-globex/tokens?per_page=all');
  await expect(page.getByRole('rowheader').first()).toBeVisible();
  // Only a window of the rows is built; spacer rows above and below stand for the rest, at
  // their height (set through the style API: a style attribute would break the CSP, which the
  // fixture fails the test on).
  expect(await page.getByRole('rowheader').count()).toBeLessThan(200);
  expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeGreaterThan(260 * 30);
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await expect(page.getByRole('rowheader', { name: 'Globex sync' })).toBeVisible();
});

test.describe('in Simplified Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('on a phone, the reveal’s labels wrap in balanced lines: no character left alone', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open(page, 'cy@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    await page.getByRole('button', { name: '生成令牌' }).first().click();
    const dialog = page.getByRole('dialog', { name: '为 Acme 生成令牌' });
    await dialog.getByLabel('名称').fill('手机 标签');
    await dialog.getByRole('button', { name: '生成令牌' }).click();
    const reveal = page.getByRole('dialog', { name: /复制您的新令牌/ });
    await reveal.locator('summary').click();
    // How many characters the label's last line holds.
    const lastLine = (target: string) => reveal.locator(target).first().evaluate((el) => {
      const tops: number[] = [];
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < (node.textContent ?? '').length; i++) {
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const r = range.getClientRects()[0];
          if (r && r.width > 0) tops.push(Math.round(r.top));
        }
      }
      const last = Math.max(...tops);
      return { lines: new Set(tops).size, last: tops.filter((t) => t === last).length };
    });
    const wrapped: string[] = [];
    for (const target of ['summary', 'h2', ...['curl-command', 'env-snippet', 'refresh-token', 'access-token'].map((id) => `label[for="${id}"]`)]) {
      const { lines, last } = await lastLine(target);
      if (lines > 1) {
        wrapped.push(target);
        expect(last, `${target}: the last of ${lines} lines`).toBeGreaterThan(1);
      }
    }
    expect(wrapped.length, 'at 390 px some of them wrap').toBeGreaterThan(0);
    await page.screenshot({ path: 'test-results/reveal-zh-390.png', fullPage: true });
  });

  test('generate, reveal and disable, with no accessibility violations', async ({ page }) => {
    await open(page, 'cy@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: '生成令牌' }).first().click();
    const dialog = page.getByRole('dialog', { name: '为 Acme 生成令牌' });
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Acme 的 API 令牌');
    await dialog.getByLabel('名称').fill('部署机器人 🚀');
    await expect(dialog.getByText(/刷新令牌将于 .*日到期/)).toBeVisible();
    await dialog.getByLabel('有效期（天）').fill('400');
    await expect(dialog.getByText(/刷新令牌将于 .*日到期/)).toBeHidden();
    await dialog.getByLabel('有效期（天）').fill('30');
    await dialog.getByRole('button', { name: '生成令牌' }).click();
    const reveal = page.getByRole('dialog', { name: '复制您的新令牌' });
    await expect(reveal).toBeVisible();
    await expect(reveal).toContainText('此令牌仅在 Acme 内有效，其他工作区一律拒绝。');
    await expect(reveal).toContainText('每次在令牌端点换取访问令牌，都会返回一个新的刷新令牌');
    await expectNoAxeViolations(page);
    await reveal.getByRole('button', { name: '关闭' }).click();
    await expect(reveal.getByText('尚未复制刷新令牌，确定关闭？')).toBeVisible();
    await expectNoAxeViolations(page);
    await reveal.getByRole('button', { name: '仍然关闭' }).click();
    await expect(page.getByRole('rowheader', { name: '部署机器人 🚀' })).toBeVisible();
    await page.getByRole('button', { name: '部署机器人 🚀 的操作' }).click();
    await page.getByRole('menuitem', { name: '停用' }).click();
    const confirm = page.getByRole('dialog', { name: '停用“部署机器人 🚀”？' });
    await expect(confirm).toContainText(/自行校验令牌的资源服务器在其到期前仍会接受，最晚到 \d\d:\d\d UTC/);
    await expectNoAxeViolations(page);
    await confirm.getByRole('button', { name: '停用令牌' }).click();
    await expect(page.getByText('已停用令牌“部署机器人 🚀”。')).toBeVisible();
    const row = page.getByRole('row', { name: /部署机器人 🚀/ });
    await expect(row).toContainText(/\d{4}年\d{1,2}月\d{1,2}日 由 \u2068Cy Tanaka\u2069 停用/);
    await expect(row.locator('.when').first()).toHaveAttribute('title', /^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} UTC/);
    await expect(page.getByRole('button', { name: '部署机器人 🚀 的操作' })).toBeFocused();
    await expect(row).not.toContainText(/\d+ 天后/);

    // Bulk words count what the action changes: one of the two selected is disabled already.
    await page.request.post('/api/workspaces/ws-acme/tokens', {
      data: { name: '部署机器人 二号', lifetime_days: 30, all_permissions: true },
      headers: { 'x-csrf-token': await csrf(page.request) },
    });
    await page.reload();
    await page.getByLabel('按名称搜索').fill('部署机器人');
    await expect(page.getByRole('rowheader')).toHaveCount(2);
    await page.getByRole('checkbox', { name: '选择当前显示的所有令牌' }).check();
    const toolbar = page.getByRole('toolbar', { name: '已选令牌' });
    await expect(toolbar).toContainText('1 个已停用或已过期');
    await toolbar.getByRole('button', { name: '停用 1 个（已选 2 个）' }).click();
    await page.getByRole('dialog', { name: '停用 1 个令牌？' }).getByRole('button', { name: '停用令牌' }).click();
    await expect(page.getByText('已停用 1 个令牌，另有 1 个此前已停用或已过期。')).toBeVisible();
    // A name already used is pointed out.
    await page.getByRole('button', { name: '生成令牌' }).first().click();
    await page.getByRole('dialog', { name: '为 Acme 生成令牌' }).getByLabel('名称').fill('部署机器人 二号');
    await expect(page.getByText('您已有名为“部署机器人 二号”的令牌。')).toBeVisible();
  });
});

test('a change of view is one step of Back on both pages, and Back stays in the app', async ({ page }) => {
  await page.goto('/tokens');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  // The Users page: a filter is one step; a whole search typed is one step.
  await page.getByLabel('Status').selectOption('disabled');
  await expect(page).toHaveURL(/status=disabled/);
  await page.getByLabel('Search by name').pressSequentially('audit', { delay: 50 });
  await expect(page).toHaveURL(/q=audit/);
  await page.goBack();
  await expect(page).toHaveURL(/status=disabled/);
  await expect(page).not.toHaveURL(/q=/);
  await page.goBack();
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  // The Admins page: the same.
  await page.goto('/admin/tokens');
  await expect(page.getByRole('heading', { name: 'Workspace tokens' })).toBeVisible();
  await page.getByLabel('Status').selectOption('disabled');
  await expect(page).toHaveURL(/status=disabled/);
  const search = page.getByLabel('Search by name');
  await search.fill('audit');
  await search.press('Enter');
  await expect(page).toHaveURL(/q=audit/);
  await page.goBack();
  await expect(page).toHaveURL(/status=disabled/);
  await expect(page).not.toHaveURL(/q=/);
  await page.goBack();
  await expect(page).toHaveURL(/\/admin\/tokens$/);
  await expect(page.getByRole('heading', { name: 'Workspace tokens' })).toBeVisible();
});

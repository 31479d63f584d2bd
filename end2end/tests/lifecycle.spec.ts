import { type APIRequestContext, type Browser } from '@playwright/test';
import { test, expect, expectNoAxeViolations, signIn, PASSWORD } from './support';

/** A signed-in API context for one of the demo people, with their CSRF header. */
async function as(browser: Browser, email: string): Promise<{ request: APIRequestContext; headers: Record<string, string>; close: () => Promise<void> }> {
  const context = await browser.newContext();
  const me = await (await context.request.post('/api/session', { data: { email, password: PASSWORD } })).json();
  return { request: context.request, headers: { 'x-csrf-token': me.csrf_token }, close: () => context.close() };
}

/** Ben generates a token; returns its id and refresh token. */
async function bensToken(browser: Browser, name: string): Promise<{ id: string; refresh: string }> {
  const ben = await as(browser, 'ben@acme.test');
  const created = await (await ben.request.post('/api/workspaces/ws-acme/tokens', { data: { name, lifetime_days: 30, all_permissions: true }, headers: ben.headers })).json();
  await ben.close();
  return { id: created.token.id, refresh: created.refresh_token };
}

/** An admin disables a token with a reason, as the Admins page does. */
async function adaDisables(browser: Browser, id: string, reason: string) {
  const ada = await as(browser, 'ada@acme.test');
  const res = await ada.request.post(`/api/workspaces/ws-acme/admin/tokens/${id}/disable`, { data: { reason }, headers: ada.headers });
  expect(res.status()).toBe(200);
  await ada.close();
}

/** A client refreshes twice, then a thief replays the first refresh token. */
async function replay(request: APIRequestContext, first: string) {
  const exchange = (token: string) => request.post('/oauth2/token', {
    form: { grant_type: 'refresh_token', client_id: 'tcc_acme', refresh_token: token },
    headers: { 'user-agent': 'nightly-backup/1.4' },
  });
  const second = (await (await exchange(first)).json()).refresh_token;
  await exchange(second);
  expect((await exchange(first)).status()).toBe(400);
}

test('the owner sees who disabled a token, when and why, and reads its history', async ({ page, browser }) => {
  const { id } = await bensToken(browser, 'lifecycle leaked');
  await adaDisables(browser, id, 'posted in #general');
  await page.goto('/tokens');
  await signIn(page, 'ben@acme.test');
  const row = page.getByRole('row', { name: /lifecycle leaked/ });
  await expect(row).toContainText(/Disabled [A-Z][a-z]{2} \d{1,2}, \d{4} by \u2068Ada Lovelace\u2069: “\u2068posted in #general\u2069”/);
  await expectNoAxeViolations(page);

  // Its history, from its row's menu: what happened, by whom, why; newest first.
  const menuButton = page.getByRole('button', { name: 'Actions for lifecycle leaked' });
  await menuButton.click();
  await page.getByRole('menuitem', { name: 'History' }).click();
  const dialog = page.getByRole('dialog', { name: 'History of “lifecycle leaked”' });
  await expect(dialog).toBeVisible();
  const events = dialog.getByRole('row').filter({ has: page.getByRole('rowheader') });
  await expect(events).toHaveCount(2);
  await expect(events.nth(0)).toContainText('Disabled');
  await expect(events.nth(0)).toContainText('ada@acme.test');
  await expect(events.nth(0)).toContainText('posted in #general');
  await expect(events.nth(0)).toContainText(/UTC/);
  await expect(events.nth(1)).toContainText('Created');
  await expect(events.nth(1)).toContainText('ben@acme.test');
  await expectNoAxeViolations(page);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(menuButton).toBeFocused();
});

test('a replayed refresh token: the owner and the admin both see why the token stopped', async ({ page, browser }) => {
  const { refresh } = await bensToken(browser, 'lifecycle replayed');
  await replay(page.request, refresh);

  await page.goto('/tokens');
  await signIn(page, 'ben@acme.test');
  await expect(page.getByRole('row', { name: /lifecycle replayed/ })).toContainText(
    'by Token Console: its refresh token was used twice, so it was disabled to protect you');
  // Said out loud, above the expiry banner: the loudest thing on the page.
  const alert = page.getByRole('alert').filter({ hasText: 'was disabled to protect you' });
  await expect(alert).toContainText('“lifecycle replayed”');
  await expect(alert).toContainText('someone else may hold a copy');
  await expect(alert).toHaveClass(/notice-danger/);
  const expiry = page.getByRole('region', { name: /expires? soon or just expired$/ });
  const [alertBox, expiryBox] = [await alert.boundingBox(), await expiry.boundingBox()];
  expect(alertBox!.y).toBeLessThan(expiryBox!.y);
  await page.getByRole('button', { name: 'Actions for lifecycle replayed' }).click();
  await page.getByRole('menuitem', { name: 'History' }).click();
  const dialog = page.getByRole('dialog', { name: 'History of “lifecycle replayed”' });
  // Where its last good refresh came from: the address and the client's user agent.
  await expect(dialog.getByText(/^Last refreshed .+ from 127\.0\.0\.1, user agent “\u2068nightly-backup\/1\.4\u2069”$/)).toBeVisible();
  await expect(dialog.getByRole('rowheader', { name: 'Reuse detected, disabled' })).toBeVisible();
  await expect(dialog.getByRole('rowheader', { name: 'Refreshed' })).toHaveCount(2);
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto('/admin/tokens?q=lifecycle%20replayed');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByRole('row', { name: /lifecycle replayed/ })).toContainText(
    'its refresh token was used twice, so it was disabled to protect its owner');
  await expectNoAxeViolations(page);
  // An alarm on the Admins page, which opens the audit trail at the detections.
  const alarm = page.getByRole('group', { name: 'Token counts' }).getByRole('button', { name: /alarms?, 30 days → Audit trail$/ });
  await expect(alarm).toHaveText(/^(1 alarm|[2-9]\d* alarms|1\d+ alarms), 30 days → Audit trail$/);
  await expect(alarm).toHaveClass(/alarm/);
  await alarm.click();
  await expect(page).toHaveURL(/tab=audit.*a_action=alarms|a_action=alarms.*tab=audit/);
  await expect(page.getByRole('combobox', { name: 'Action', exact: true })).toHaveValue('alarms');
  await expect(page.getByRole('row', { name: /lifecycle replayed/ })).toContainText('Reuse detected, disabled');
});

/** Five wrong passwords for `email` from this machine: a burst. */
async function guess(browser: Browser, email: string) {
  const context = await browser.newContext();
  for (let i = 0; i < 5; i++) {
    expect((await context.request.post('/api/session', { data: { email, password: `guess-${i}` } })).status()).toBe(401);
  }
  await context.close();
}

test('failed sign-ins in a burst: an alarm for the admin, in the audit trail under its own name', async ({ page, browser }, testInfo) => {
  // A person of each attempt's own: a retry finds the first attempt's burst and throttle.
  const hal = `hal${testInfo.retry}@acme.test`;
  await newMember(browser, hal, 'Hal Guessed');
  const ada = await as(browser, 'ada@acme.test');
  const alarms = async () => {
    const s = await (await ada.request.get('/api/workspaces/ws-acme/admin/tokens/summary')).json();
    return s.reuse_detected_recently + s.sign_in_bursts_recently + s.leaks_reported_recently + s.outside_ranges_recently;
  };
  const before = await alarms();
  await guess(browser, hal);
  expect(await alarms()).toBe(before + 1);
  await ada.close();
  await page.goto('/admin/tokens');
  await signIn(page, 'ada@acme.test');
  const alarm = page.getByRole('group', { name: 'Token counts' }).getByRole('button', { name: /alarms?, 30 days → Audit trail$/ });
  await expect(alarm).toHaveText(`${before + 1} alarm${before + 1 === 1 ? '' : 's'}, 30 days → Audit trail`);
  await alarm.click();
  const row = page.getByRole('row', { name: hal });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Repeated failed sign-ins');
  await expect(row).toContainText('127.0.0.1');
  await expect(row).toContainText('Token Console');
  // Its own action name, in the action filter too.
  await page.getByRole('combobox', { name: 'Action', exact: true }).selectOption({ label: 'Repeated failed sign-ins' });
  await expect(page).toHaveURL(/a_action=sign_in_burst/);
  await expect(row).toBeVisible();
  await expect(page.getByRole('row', { name: /lifecycle replayed/ })).toHaveCount(0);
  await expectNoAxeViolations(page);
});

test('the Users page warns of tokens about to expire, with Regenerate one click away', async ({ page }) => {
  await page.goto('/tokens');
  await signIn(page, 'ben@acme.test');
  const banner = page.getByRole('region', { name: /expires? soon or just expired$/ });
  // Laptop CLI (seeded) expires in 5 days; Hackathon demo expired 10 days ago and is not in it.
  await expect(banner.getByRole('listitem').filter({ hasText: 'Laptop CLI' })).toContainText('in 5 days');
  await expect(banner).not.toContainText('Hackathon demo');
  // A week-long token made just now is not "expiring soon": only in the second half of its life.
  const csrf = (await (await page.request.get('/api/me')).json()).csrf_token;
  await page.request.post('/api/workspaces/ws-acme/tokens', {
    data: { name: 'lifecycle week-long', lifetime_days: 7, all_permissions: true }, headers: { 'x-csrf-token': csrf },
  });
  await page.reload();
  await expect(page.getByRole('row', { name: /lifecycle week-long/ })).toBeVisible();
  await expect(page.getByRole('row', { name: /lifecycle week-long/ })).not.toContainText('Expires soon');
  await expect(banner).not.toContainText('lifecycle week-long');
  await expectNoAxeViolations(page);
  await banner.getByRole('button', { name: 'Regenerate Laptop CLI' }).click();
  const dialog = page.getByRole('dialog', { name: 'Regenerate “Laptop CLI” in Acme' });
  await expect(dialog.getByLabel('Name')).toHaveValue('Laptop CLI');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  // A seeded token has no recorded events: its history says so rather than showing an empty table.
  await page.getByRole('button', { name: 'Actions for Laptop CLI' }).click();
  await page.getByRole('menuitem', { name: 'History' }).click();
  await expect(page.getByRole('dialog', { name: 'History of “Laptop CLI”' })).toContainText('No event is recorded for this token');
});

/** Ada adds a new member, who sets a password and generates a token; returns their tokens. */
async function newMember(browser: Browser, email: string, name: string) {
  const ada = await as(browser, 'ada@acme.test');
  const added = await (await ada.request.post('/api/workspaces/ws-acme/admin/members', {
    data: { email, name, role: 'member' }, headers: ada.headers,
  })).json();
  await ada.close();
  const secret = added.set_password_link.split('#')[1];
  const context = await browser.newContext();
  expect((await context.request.post('/api/password', { data: { token: secret, password: PASSWORD } })).status()).toBe(204);
  await context.close();
  const them = await as(browser, email);
  const created = await (await them.request.post('/api/workspaces/ws-acme/tokens', {
    data: { name: `${name}'s deploy`, lifetime_days: 30, all_permissions: true }, headers: them.headers,
  })).json();
  await them.close();
  return { id: added.member.id as string, access: created.access_token as string };
}

test('an admin removes a member: their tokens are disabled and marked, their access token refused at once', async ({ page, browser }) => {
  const { access } = await newMember(browser, 'eve@acme.test', 'Eve Leaving');
  const whoami = () => page.request.get('/api/resource/workspaces/ws-acme/whoami', { headers: { authorization: `Bearer ${access}` } });
  expect((await whoami()).status()).toBe(200);

  await page.goto('/admin/tokens?tab=members');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByRole('tab', { name: 'Members' })).toHaveAttribute('aria-selected', 'true');
  const members = page.getByRole('table', { name: 'Members' });
  await expect(members.getByLabel('Role of Ada Lovelace')).toHaveValue('admin');
  // The last admin can be neither removed nor made a member.
  await expect(members.getByRole('button', { name: 'Remove Ada Lovelace' })).toBeDisabled();
  await expect(members.getByLabel('Role of Ada Lovelace')).toBeDisabled();
  await expect(page.getByText('The last admin cannot be removed')).toBeVisible();
  await expectNoAxeViolations(page);
  // A role changes from its row: Eve becomes an admin, then Ada may step down; and back.
  await members.getByLabel('Role of Eve Leaving').selectOption('admin');
  await expect(page.getByText('Eve Leaving is now: Admin.')).toBeVisible();
  await expect(members.getByLabel('Role of Ada Lovelace')).toBeEnabled();
  await members.getByLabel('Role of Eve Leaving').selectOption('member');
  await expect(page.getByText('Eve Leaving is now: Member.')).toBeVisible();
  await expect(members.getByLabel('Role of Ada Lovelace')).toBeDisabled();

  // The dialog says how many tokens go, and that access tokens may live up to an hour.
  await members.getByRole('button', { name: 'Remove Eve Leaving' }).click();
  const confirm = page.getByRole('dialog', { name: 'Remove Eve Leaving from Acme?' });
  await expect(confirm).toContainText('Their 1 token here that still works is disabled at once.');
  await expect(confirm).toContainText('access tokens already issued are refused wherever the service is asked, and a resource server that checks them itself may accept them for up to an hour');
  await expect(confirm).toContainText('you can add them back later, and their tokens stay disabled');
  await expectNoAxeViolations(page);
  await confirm.getByRole('button', { name: 'Remove member' }).click();
  await expect(page.getByText('Eve Leaving removed; 1 token disabled.')).toBeVisible();
  await expect(members.getByRole('row', { name: /Eve Leaving/ })).toHaveCount(0);
  expect((await whoami()).status()).toBe(401);

  // Added back: with their own password, no link; the old token stays disabled.
  await page.getByRole('button', { name: 'Add member' }).click();
  const add = page.getByRole('dialog', { name: 'Add a member to this workspace' });
  await add.getByLabel('Email').fill('eve@acme.test');
  await add.getByRole('button', { name: 'Add member' }).click();
  await expect(add.getByRole('status')).toContainText('Eve Leaving <eve@acme.test> is back in the workspace. They sign in with their own password');
  await expect(add.getByLabel(/Set-password link/)).toHaveCount(0);
  await add.getByRole('button', { name: 'Close' }).click();
  await expect(members.getByRole('row', { name: /Eve Leaving/ })).toHaveCount(1);
  expect((await whoami()).status()).toBe(401);

  // Their token stays in the list, disabled and marked; the audit trail says who removed whom.
  await page.getByRole('tab', { name: 'Tokens' }).click();
  await page.getByLabel('Search by name').fill('Eve Leaving');
  await page.getByLabel('Search by name').press('Enter');
  await expect(page.getByRole('row', { name: /Eve Leaving's deploy/ })).toContainText('its owner was removed from the workspace');
  await page.getByRole('tab', { name: 'Audit trail' }).click();
  await page.getByLabel('Action').selectOption({ label: 'Member removed' });
  await expect(page).toHaveURL(/a_action=member_removed/);
  const removal = page.getByRole('row', { name: /eve@acme\.test/ }).filter({ hasText: 'Member removed' });
  await expect(removal).toHaveCount(1);
  await expect(removal).toContainText('ada@acme.test');
});

test('regenerate with an overlap: both tokens work until it ends, and the new one is revealed once', async ({ page, browser }) => {
  const { refresh: oldRefresh } = await bensToken(browser, 'lifecycle rolled');
  await page.goto('/tokens');
  await signIn(page, 'ben@acme.test');
  await page.getByRole('button', { name: 'Actions for lifecycle rolled' }).click();
  await page.getByRole('menuitem', { name: 'Regenerate' }).click();
  const dialog = page.getByRole('dialog', { name: 'Regenerate “lifecycle rolled” in Acme' });
  await expect(dialog.getByLabel('Name')).toHaveValue('lifecycle rolled');
  await expect(dialog.getByLabel('Name')).toHaveAttribute('readonly', '');
  await expect(dialog.getByLabel('Lifetime in days')).toHaveValue('30');
  await expect(dialog.getByRole('radio', { name: 'For 1 day' })).toBeChecked();
  await dialog.getByRole('radio', { name: 'For 1 hour' }).check();
  await expectNoAxeViolations(page);
  await dialog.getByRole('button', { name: 'Regenerate' }).click();
  const reveal = page.getByRole('dialog', { name: 'Copy your new token' });
  const newRefresh = await reveal.getByLabel(/^Refresh token/).inputValue();
  expect(newRefresh).not.toBe(oldRefresh);
  await reveal.getByRole('button', { name: 'Close', exact: true }).click();
  await reveal.getByRole('button', { name: 'Close anyway' }).click();
  await expect(page.getByText('Token “lifecycle rolled” regenerated.')).toBeVisible();
  // Two rows of that name now: the old one ends within the hour.
  await expect(page.getByRole('rowheader', { name: 'lifecycle rolled' })).toHaveCount(2);
  const exchange = (token: string) =>
    page.request.post('/oauth2/token', { form: { grant_type: 'refresh_token', client_id: 'tcc_acme', refresh_token: token } });
  expect((await exchange(oldRefresh)).status()).toBe(200);
  expect((await exchange(newRefresh)).status()).toBe(200);
  // The old one is told apart: replaced by the new one (named with its refresh token's last
  // characters), not to be regenerated again.
  await page.reload();
  const rows = page.getByRole('row', { name: /lifecycle rolled/ });
  const oldRow = rows.filter({ hasText: /Replaced by “\u2068?lifecycle rolled\u2069?” …\S+: stops then/ });
  const newRow = rows.filter({ hasNotText: 'Replaced by' });
  await expect(oldRow).toHaveCount(1);
  const newHint = (await newRow.locator('code.hint').innerText()).replace('…', '');
  await expect(oldRow).toContainText(`…\u2060${newHint}: stops then`);
  await oldRow.getByRole('button', { name: 'Actions for lifecycle rolled' }).click();
  await expect(page.getByRole('menuitem')).toHaveText(['History', 'Edit description', 'Disable', 'Delete']);
  // Each history tells its half in words and the reader's time, with no ids; refreshes were
  // made by the token's client.
  await page.getByRole('menuitem', { name: 'History' }).click();
  const history = page.getByRole('dialog', { name: 'History of “lifecycle rolled”' });
  const replaced = history.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Replaced', exact: true }) });
  await expect(replaced).toContainText(/Replaced by “\u2068?lifecycle rolled\u2069?”; stops at \w{3} \d+, \d{4}, \d\d:\d\d \S+/);
  await expect(history.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Refreshed' }) })).toContainText('Its client');
  await expect(history).not.toContainText('Token Console');
  await history.getByRole('button', { name: 'Close' }).click();
  await newRow.getByRole('button', { name: 'Actions for lifecycle rolled' }).click();
  await page.getByRole('menuitem', { name: 'History' }).click();
  const regenerated = history.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Regenerated' }) });
  await expect(regenerated).toContainText(/Replaces “\u2068?lifecycle rolled\u2069?”, which stops at \w{3} \d+, \d{4}, \d\d:\d\d/);
  await expect(regenerated).not.toContainText(/\d{4}-\d\d-\d\dT/);
});

test('a replaced token leaves the expiry banner: its successor is the one to renew', async ({ page }) => {
  // Laptop CLI (seeded) expires in 5 days; here the list says it was replaced, as after a
  // Regenerate with an overlap that the seed cannot make.
  await page.route('**/api/workspaces/ws-acme/tokens', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    for (const t of body.tokens) {
      if (t.name === 'Laptop CLI') t.replaced_by = { id: 'successor', name: 'Laptop CLI', hint: 'Zq9x' };
    }
    await route.fulfill({ response, json: body });
  });
  await page.goto('/tokens');
  await signIn(page, 'ben@acme.test');
  const row = page.getByRole('row', { name: /Laptop CLI/ });
  await expect(row).toContainText('Replaced by “\u2068Laptop CLI\u2069” …\u2060Zq9x: stops then');
  await expect(row).not.toContainText('Expires soon');
  await expect(page.getByRole('region', { name: /expires? soon or just expired$/ })).toHaveCount(0);
});

test('a description: written at Generate, shown in the reveal and the list, edited by its owner, found by admins', async ({ page }) => {
  await page.goto('/tokens');
  await signIn(page, 'cy@acme.test');
  await page.getByRole('button', { name: 'Generate token' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Generate a token for Acme' });
  await dialog.getByLabel('Name', { exact: true }).fill('lifecycle described');
  await dialog.getByLabel('Description (optional)').fill('x'.repeat(501));
  await expect(dialog.getByText('At most 500 characters.')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Generate token' })).toBeDisabled();
  await dialog.getByLabel('Description (optional)').fill('Nightly export to the Zürich warehouse');
  await expectNoAxeViolations(page);
  await dialog.getByRole('button', { name: 'Generate token' }).click();
  const reveal = page.getByRole('dialog', { name: 'Copy your new token' });
  await expect(reveal).toContainText('Nightly export to the Zürich warehouse');
  await reveal.getByRole('button', { name: 'Close', exact: true }).click();
  await reveal.getByRole('button', { name: 'Close anyway' }).click();
  const row = page.getByRole('row', { name: /lifecycle described/ });
  await expect(page.getByRole('rowheader', { name: 'lifecycle described', exact: true })).toContainText('Nightly export to the Zürich warehouse');

  await page.getByRole('button', { name: 'Actions for lifecycle described' }).click();
  await page.getByRole('menuitem', { name: 'Edit description' }).click();
  const editor = page.getByRole('dialog', { name: 'Description of “lifecycle described”' });
  await expect(editor.getByLabel('Description (optional)')).toHaveValue('Nightly export to the Zürich warehouse');
  await editor.getByLabel('Description (optional)').fill('Moved to the Frankfurt warehouse');
  await expectNoAxeViolations(page);
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Description saved.')).toBeVisible();
  await expect(row).toContainText('Moved to the Frankfurt warehouse');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto('/admin/tokens?q=FRANKFURT');
  await signIn(page, 'ada@acme.test');
  await expect(page.getByText('1 token matches')).toBeVisible();
  await expect(page.getByRole('rowheader', { name: 'lifecycle described', exact: true })).toBeVisible();
});

test('a calendar of expiry dates: a link shown once, which a calendar app reads, and which can be revoked', async ({ page }) => {
  await page.goto('/tokens');
  await signIn(page, 'cy@acme.test');
  await page.getByText('Expiry reminders: calendar and email').click();
  await page.getByRole('button', { name: 'Get a calendar link' }).click();
  const link = page.getByRole('textbox', { name: 'Calendar link (shown once)' });
  await expect(link).toHaveValue(/\/api\/calendar\/[A-Za-z0-9_-]+\.ics$/);
  await expectNoAxeViolations(page);
  const url = await link.inputValue();
  const feed = await page.request.get(url);
  expect(feed.headers()['content-type']).toBe('text/calendar; charset=utf-8');
  const ics = await feed.text();
  expect(ics).toMatch(/^BEGIN:VCALENDAR\r\n/);
  expect(ics).toContain('SUMMARY:Token “Grafana datasource” expires');
  // Nothing of it stays in the browser's storage.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored).not.toContain(url.split('/').pop()!.replace('.ics', ''));
  await page.getByRole('button', { name: 'Revoke the link' }).click();
  await expect(page.getByText('Calendar link revoked.')).toBeVisible();
  await expect(link).toHaveCount(0);
  expect((await page.request.get(url)).status()).toBe(404);

  // Email notices, on by default, turned off for this workspace and read back so.
  const email = page.getByRole('checkbox', { name: /Email me 7 days and 1 day before/ });
  await expect(email).toBeChecked();
  await email.uncheck();
  await expect(page.getByText('Email reminders saved.')).toBeVisible();
  await page.reload();
  await page.getByText('Expiry reminders: calendar and email').click();
  await expect(page.getByRole('checkbox', { name: /Email me 7 days and 1 day before/ })).not.toBeChecked();
  const said = await page.request.get('/api/workspaces/ws-acme/notices');
  expect(await said.json()).toEqual({ email: false });
  await page.getByRole('checkbox', { name: /Email me 7 days and 1 day before/ }).check();
  await expect(page.getByText('Email reminders saved.')).toBeVisible();
});

/** The workspace's policy back to the defaults, so later tests generate as they always did. */
async function defaultPolicy(browser: Browser) {
  const ada = await as(browser, 'ada@acme.test');
  await ada.request.put('/api/workspaces/ws-acme/admin/policy', { data: { max_lifetime_days: 365, creators: 'members', permissions: [], allow_all_permissions: true, allowed_ranges: [] }, headers: ada.headers });
  await ada.close();
}

test('a policy of 30 days: Generate offers no more, and the service refuses 31', async ({ page, browser }) => {
  try {
    await page.goto('/admin/tokens?tab=policy');
    await signIn(page, 'ada@acme.test');
    await expect(page.getByRole('tab', { name: 'Policy' })).toHaveAttribute('aria-selected', 'true');
    const longest = page.getByLabel('Longest lifetime, in days (1 to 365)');
    await expect(longest).toHaveValue('365');
    await longest.fill('400');
    await expect(page.getByText('Choose a whole number of days from 1 to 365.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Save' })).toBeDisabled();
    await longest.fill('30');
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('Policy saved. Existing tokens are not changed;')).toBeVisible();
    await page.getByRole('tab', { name: 'Audit trail' }).click();
    await expect(page.getByRole('row', { name: /max lifetime 365 -> 30 days/ })).toContainText('Policy changed');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto('/tokens');
    await signIn(page, 'ben@acme.test');
    await page.getByRole('button', { name: 'Generate token' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Generate a token for Acme' });
    const presets = dialog.getByRole('group', { name: 'Quick choices' }).getByRole('button');
    await expect(presets).toHaveText(['7 days', '30 days']);
    const lifetime = dialog.getByLabel('Lifetime in days');
    await expect(lifetime).toHaveAttribute('max', '30');
    await dialog.getByLabel('Name').fill('policy probe');
    await lifetime.fill('31');
    await expect(dialog.getByText('This workspace allows at most 30 days.')).toBeVisible();
    await expect(dialog.getByRole('button', { name: 'Generate token' })).toBeDisabled();
    await expectNoAxeViolations(page);
    // Past the page, the service itself refuses.
    const csrf = (await (await page.request.get('/api/me')).json()).csrf_token;
    const refused = await page.request.post('/api/workspaces/ws-acme/tokens', {
      data: { name: 'policy probe', lifetime_days: 31, all_permissions: true }, headers: { 'x-csrf-token': csrf },
    });
    expect(refused.status()).toBe(400);
    expect((await refused.json()).errors[0].code).toBe('above_policy');
  } finally {
    await defaultPolicy(browser);
  }
});

test.describe('in Simplified Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('the owner sees why, and the history, in Chinese', async ({ page, browser }) => {
    const { id } = await bensToken(browser, '生命周期 泄露');
    await adaDisables(browser, id, '发在了公开频道');
    const { refresh } = await bensToken(browser, '生命周期 重放');
    await replay(page.request, refresh);
    await page.goto('/tokens');
    await signIn(page, 'ben@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    await expect(page.getByRole('row', { name: /生命周期 泄露/ })).toContainText(/\d{4}年\d{1,2}月\d{1,2}日 由 \u2068Ada Lovelace\u2069 停用：“\u2068发在了公开频道\u2069”/);
    await expect(page.getByRole('row', { name: /生命周期 重放/ })).toContainText('由系统停用：其刷新令牌被重复使用，为保护您的账户已自动停用');
    await page.getByRole('button', { name: '生命周期 泄露 的操作' }).click();
    await page.getByRole('menuitem', { name: '历史记录' }).click();
    const dialog = page.getByRole('dialog', { name: '“生命周期 泄露”的历史记录' });
    await expect(dialog.getByRole('rowheader', { name: '停用' })).toBeVisible();
    await expect(dialog.getByRole('rowheader', { name: '创建' })).toBeVisible();
    await expect(dialog.getByText('从未刷新', { exact: true })).toBeVisible();
    await expectNoAxeViolations(page);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: '生命周期 重放 的操作' }).click();
    await page.getByRole('menuitem', { name: '历史记录' }).click();
    await expect(page.getByRole('dialog', { name: '“生命周期 重放”的历史记录' }).getByText(
      /^最近一次刷新：.+，来自 127\.0\.0\.1，客户端“\u2068nightly-backup\/1\.4\u2069”$/)).toBeVisible();
  });

  test('failed sign-ins in a burst, in Chinese: the alarm and its action name', async ({ page, browser }, testInfo) => {
    const ivy = `ivy${testInfo.retry}@acme.test`;
    await newMember(browser, ivy, 'Ivy 被猜');
    await guess(browser, ivy);
    await page.goto('/admin/tokens');
    await signIn(page, 'ada@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    const alarm = page.getByRole('group', { name: '令牌统计' }).getByRole('button', { name: /^30 天内告警/ });
    await expect(alarm).toHaveText(/^30 天内告警：[1-9]\d* → 审计记录$/);
    await alarm.click();
    const action = page.getByRole('combobox', { name: '操作', exact: true });
    await expect(action).toHaveValue('alarms');
    await expect(action.locator('option:checked')).toHaveText('任意告警');
    await expect(page.getByRole('row', { name: ivy })).toContainText('多次登录失败');
    await expectNoAxeViolations(page);
  });

  test('an admin removes a member, in Chinese', async ({ page, browser }) => {
    const { access } = await newMember(browser, 'fay@acme.test', 'Fay 离开');
    await page.goto('/admin/tokens?tab=members');
    await signIn(page, 'ada@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    await expect(page.getByRole('tab', { name: '成员' })).toHaveAttribute('aria-selected', 'true');
    await page.getByRole('button', { name: '移除 Fay 离开' }).click();
    const confirm = page.getByRole('dialog', { name: '将 Fay 离开 移出 Acme？' });
    await expect(confirm).toContainText('此人在本工作区仍可用的 1 个令牌将立即停用。');
    await expect(confirm).toContainText('已签发的访问令牌在向本服务核验之处立即被拒绝，自行校验令牌的资源服务器最多仍会接受一小时。');
    await expectNoAxeViolations(page);
    await confirm.getByRole('button', { name: '移除成员' }).click();
    await expect(page.getByText('已移除 Fay 离开，停用了 1 个令牌。')).toBeVisible();
    const whoami = await page.request.get('/api/resource/workspaces/ws-acme/whoami', { headers: { authorization: `Bearer ${access}` } });
    expect(whoami.status()).toBe(401);
  });

  test('only admins generate, in Chinese: a member is told why there is no Generate', async ({ page, browser }) => {
    const ada = await as(browser, 'ada@acme.test');
    await ada.request.put('/api/workspaces/ws-acme/admin/policy', { data: { max_lifetime_days: 90, creators: 'admins', permissions: [], allow_all_permissions: true, allowed_ranges: [] }, headers: ada.headers });
    await ada.close();
    try {
      await page.goto('/tokens');
      await signIn(page, 'cy@acme.test', { email: '邮箱', password: '密码', button: '登录' });
      await expect(page.getByRole('button', { name: '生成令牌' })).toBeDisabled();
      await expect(page.getByText('在 Acme 中，只有管理员可以生成令牌。')).toBeVisible();
      // The disabled button says why, to whoever reaches it.
      await expect(page.getByRole('button', { name: '生成令牌' })).toHaveAccessibleDescription('在 Acme 中，只有管理员可以生成令牌。');
      await expectNoAxeViolations(page);
    } finally {
      await defaultPolicy(browser);
    }
  });

  test('the reuse alert, Escape’s question and a role change, in Chinese', async ({ page, browser }) => {
    const { refresh } = await bensToken(browser, '夜间 备份');
    await replay(page.request, refresh);
    await page.goto('/tokens');
    await signIn(page, 'ben@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    const alert = page.getByRole('alert').filter({ hasText: '为保护您，已停用' });
    await expect(alert).toContainText('“夜间 备份”');
    await expect(alert).toContainText('可能有他人持有副本');
    await page.getByRole('button', { name: '生成令牌' }).first().click();
    const dialog = page.getByRole('dialog', { name: '为 Acme 生成令牌' });
    await dialog.getByLabel('名称', { exact: true }).fill('写了一半');
    await page.keyboard.press('Escape');
    await expect(dialog.getByRole('alert').filter({ hasText: '再按一次 Esc 将丢弃已填写的内容' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await page.getByRole('button', { name: '退出登录' }).click();

    await page.goto('/admin/tokens?tab=members');
    await signIn(page, 'ada@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('成员');
    const role = page.getByLabel('Cy Tanaka 的角色');
    await role.selectOption('admin');
    await expect(page.getByText('Cy Tanaka 现在是管理员。')).toBeVisible();
    await role.selectOption('member');
    await expect(page.getByText('Cy Tanaka 现在是成员。')).toBeVisible();
    await expectNoAxeViolations(page);
  });

  test('regenerate at once, in Chinese', async ({ page, browser }) => {
    const { refresh } = await bensToken(browser, '生命周期 轮换');
    await page.goto('/tokens');
    await signIn(page, 'ben@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    await page.getByRole('button', { name: '生命周期 轮换 的操作' }).click();
    await page.getByRole('menuitem', { name: '重新生成' }).click();
    const dialog = page.getByRole('dialog', { name: '在 Acme 中重新生成“生命周期 轮换”' });
    await dialog.getByRole('radio', { name: '否：立即停用' }).check();
    await expectNoAxeViolations(page);
    await dialog.getByRole('button', { name: '重新生成' }).click();
    const reveal = page.getByRole('dialog', { name: '复制您的新令牌' });
    await reveal.getByRole('button', { name: '关闭' }).click();
    await reveal.getByRole('button', { name: '仍然关闭' }).click();
    await expect(page.getByText('已重新生成令牌“生命周期 轮换”。')).toBeVisible();
    const rows = page.getByRole('row', { name: /生命周期 轮换/ });
    await expect(rows.filter({ hasText: /已被“\u2068?生命周期 轮换\u2069?” …\S+取代/ })).toHaveCount(1);
    // Its history, in Chinese words and the reader's time.
    await rows.filter({ hasText: '已停用' }).getByRole('button', { name: '生命周期 轮换 的操作' }).click();
    await page.getByRole('menuitem', { name: '历史记录' }).click();
    await expect(page.getByRole('dialog').getByRole('row').filter({ hasText: '被取代' })).toContainText(/已被“\u2068?生命周期 轮换\u2069?”取代，立即停止/);
    const old = await page.request.post('/oauth2/token', { form: { grant_type: 'refresh_token', client_id: 'tcc_acme', refresh_token: refresh } });
    expect(old.status()).toBe(400);
  });

  test('the expiry banner, in Chinese', async ({ page }) => {
    await page.goto('/tokens');
    await signIn(page, 'ben@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    const banner = page.getByRole('region', { name: /个令牌即将到期或刚刚过期$/ });
    await expect(banner.getByRole('listitem').filter({ hasText: 'Laptop CLI' })).toContainText('5 天后');
    await expect(banner.getByRole('button', { name: '重新生成 Laptop CLI' })).toBeVisible();
    await expectNoAxeViolations(page);
  });

  test('a description, in Chinese', async ({ page }) => {
    await page.goto('/tokens');
    await signIn(page, 'cy@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    await page.getByRole('button', { name: '生成令牌' }).first().click();
    const dialog = page.getByRole('dialog', { name: '为 Acme 生成令牌' });
    await dialog.getByLabel('名称', { exact: true }).fill('生命周期 描述');
    await dialog.getByLabel('描述（可选）').fill('夜间导出到数据仓库');
    await dialog.getByRole('button', { name: '生成令牌' }).click();
    const reveal = page.getByRole('dialog', { name: '复制您的新令牌' });
    await expect(reveal).toContainText('夜间导出到数据仓库');
    await reveal.getByRole('button', { name: '关闭' }).click();
    await reveal.getByRole('button', { name: '仍然关闭' }).click();
    await page.getByRole('button', { name: '生命周期 描述 的操作' }).click();
    await page.getByRole('menuitem', { name: '编辑描述' }).click();
    const editor = page.getByRole('dialog', { name: '“生命周期 描述”的描述' });
    await editor.getByLabel('描述（可选）').fill('已迁移');
    await expectNoAxeViolations(page);
    await editor.getByRole('button', { name: '保存' }).click();
    await expect(page.getByText('描述已保存。')).toBeVisible();
    await expect(page.getByRole('rowheader', { name: '生命周期 描述', exact: true })).toContainText('已迁移');
  });

  test('the calendar link, in Chinese', async ({ page }) => {
    await page.goto('/tokens');
    await signIn(page, 'cy@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    await page.getByText('到期提醒：日历与邮件').click();
    await page.getByRole('button', { name: '获取日历链接' }).click();
    await expect(page.getByRole('textbox', { name: '日历链接（只显示一次）' })).toHaveValue(/\.ics$/);
    await expect(page.getByRole('button', { name: '换一个链接' })).toBeVisible();
    await expectNoAxeViolations(page);
  });
});

import { test, expect, expectNoAxeViolations, signIn } from './support';

test('a signed-out visitor signs in and lands where they were headed', async ({ page }) => {
  await page.goto('/admin/tokens');
  await expect(page).toHaveURL(/\/signin\?next=/);
  await expect(page.getByRole('heading', { name: 'Sign in to Token Console' })).toBeVisible();
  await expect(page).toHaveTitle('Sign in – Token Console');
  await expectNoAxeViolations(page);
  await signIn(page, 'ada@acme.test');
  await expect(page).toHaveURL(/\/admin\/tokens$/);
  await expect(page.getByRole('heading', { name: 'Workspace tokens' })).toBeVisible();
  // Each page and tab names itself, and the workspace, in the tab's title.
  await expect(page).toHaveTitle('Tokens · Workspace tokens · Acme – Token Console');
  await page.getByRole('tab', { name: 'Audit trail' }).click();
  await expect(page).toHaveTitle('Audit trail · Workspace tokens · Acme – Token Console');
  await expect(page.getByRole('link', { name: 'Admin' })).toBeVisible();
});

test('a wrong password is told at the form and signs nobody in', async ({ page }) => {
  await page.goto('/signin');
  await page.getByLabel('Email').fill('ben@acme.test');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('The email or password is wrong.');
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page.getByLabel('Email')).toHaveValue('ben@acme.test');
});

test('a member sees their tokens, no Admin link, and is refused the admin page', async ({ page }) => {
  await page.goto('/tokens');
  await signIn(page, 'ben@acme.test');
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  const table = page.getByRole('table', { name: 'API tokens' });
  await expect(table.getByRole('rowheader', { name: 'CI deploy' })).toBeVisible();
  await expect(table.getByRole('row', { name: /Old backup script/ })).toContainText('Disabled');
  await expect(page.getByText('Signed in as ben@acme.test')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await expectNoAxeViolations(page);

  await page.goto('/admin/tokens');
  await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
});

test('a shared link opens the workspace it names, or says the reader is not a member', async ({ page }) => {
  // Ben last chose Acme; a colleague's link to Globex opens Globex.
  await page.goto('/tokens');
  await signIn(page, 'ben@acme.test');
  await expect(page).toHaveURL(/\/w\/ws-acme\/tokens$/);
  // A member of two workspaces is told, where it matters, which one a token works in.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('API tokens in Acme');
  await page.goto('/w/ws-globex/tokens?sort=name');
  await expect(page.getByLabel('Workspace')).toHaveValue('ws-globex');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('API tokens in Globex');
  await page.getByRole('button', { name: 'Generate token' }).first().click();
  await expect(page.getByRole('dialog', { name: 'Generate a token for Globex' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('table', { name: 'API tokens' }).getByRole('rowheader', { name: 'Globex reports' })).toBeVisible();
  await expect(page).toHaveTitle('API tokens · Globex – Token Console');
  // Following a link is not choosing: the old address still opens Acme.
  await page.goto('/tokens');
  await expect(page).toHaveURL(/\/w\/ws-acme\/tokens$/);
  await page.getByRole('button', { name: 'Sign out' }).click();
  // Cy is not in Globex: the same link tells her so, and shows nothing of it.
  await page.goto('/w/ws-globex/tokens');
  await signIn(page, 'cy@acme.test');
  await expect(page.getByRole('heading', { name: 'Not a member of this workspace' })).toBeVisible();
  await expect(page).toHaveTitle('Not a member of this workspace – Token Console');
  await expect(page.getByRole('table')).toHaveCount(0);
  await expectNoAxeViolations(page);
  // Her own workspaces are a click away.
  await page.getByRole('main').getByRole('link', { name: 'Acme' }).click();
  await expect(page).toHaveURL(/\/w\/ws-acme\/tokens$/);
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
});

test('switching workspace shows that workspace’s tokens only', async ({ page }) => {
  await page.goto('/tokens');
  await signIn(page, 'ben@acme.test');
  const table = page.getByRole('table', { name: 'API tokens' });
  await expect(table.getByRole('rowheader', { name: 'CI deploy' })).toBeVisible();
  await page.getByLabel('Workspace').selectOption({ label: 'Globex' });
  await expect(page).toHaveURL(/\/w\/ws-globex\/tokens$/);
  await expect(table.getByRole('rowheader', { name: 'Globex reports' })).toBeVisible();
  await expect(table.getByRole('rowheader', { name: 'CI deploy' })).toHaveCount(0);
  // The choice is remembered: the old address opens the workspace chosen.
  await page.goto('/tokens');
  await expect(page).toHaveURL(/\/w\/ws-globex\/tokens$/);
  await expect(page.getByRole('table', { name: 'API tokens' }).getByRole('rowheader', { name: 'Globex reports' })).toBeVisible();
});

test('the header links move between the pages in place, and Back and Forward follow', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/signin\?next=/);
  await signIn(page, 'ada@acme.test');
  await expect(page).toHaveURL(/\/tokens$/);
  const nav = page.getByRole('navigation');
  await expect(nav.getByRole('link', { name: 'My tokens' })).toHaveAttribute('aria-current', 'page');
  // A marker on the window: it survives only a navigation without a page load.
  await page.evaluate(() => { (window as any).__stayed = true; });

  await nav.getByRole('link', { name: 'Admin' }).click();
  await expect(page).toHaveURL(/\/admin\/tokens$/);
  await expect(page.getByRole('heading', { name: 'Workspace tokens' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Admin' })).toHaveAttribute('aria-current', 'page');
  await expect(nav.getByRole('link', { name: 'My tokens' })).not.toHaveAttribute('aria-current', /./);

  await page.goBack();
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  await expect(page).toHaveTitle('API tokens · Acme – Token Console');
  await page.goForward();
  await expect(page.getByRole('heading', { name: 'Workspace tokens' })).toBeVisible();
  expect(await page.evaluate(() => (window as any).__stayed)).toBe(true);

  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(page).toHaveTitle(/^Page not found · Acme – Token Console$/);
  await page.getByRole('link', { name: 'Back to my tokens' }).click();
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
});

test('signing out ends the session', async ({ page }) => {
  await page.goto('/tokens');
  await signIn(page, 'cy@acme.test');
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin/);
  await page.goto('/tokens');
  await expect(page).toHaveURL(/\/signin\?next=/);
});

test.describe('in Simplified Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('the browser’s language is used from the first page, and can be switched', async ({ page }) => {
    await page.goto('/tokens');
    await expect(page.getByRole('heading', { name: '登录令牌控制台' })).toBeVisible();
    await expect(page).toHaveTitle('登录 – 令牌控制台');
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await signIn(page, 'ben@acme.test', { email: '邮箱', password: '密码', button: '登录' });
    await expect(page.getByRole('heading', { name: 'API 令牌' })).toBeVisible();
    await expect(page).toHaveTitle('API 令牌 · Acme – 令牌控制台');
    await expect(page.getByRole('columnheader', { name: '状态' })).toBeVisible();
    await expectNoAxeViolations(page);
    await page.getByLabel('语言').selectOption('en');
    await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
    await expect(page).toHaveTitle('API tokens · Acme – Token Console');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  });
});

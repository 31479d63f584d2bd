import { test, expect, expectNoAxeViolations, cli, type Page } from './support';
import { mockProviderPort, nodeProviderPort } from '../playwright.config';

// Sign-in through a workspace's identity provider, against two real providers on loopback:
// panva's oidc-provider (its own login and consent pages) and oidc-provider-mock. The operator
// connects a workspace to each with the service's command line, as the README says.
const nodeIssuer = `http://127.0.0.1:${nodeProviderPort}`;
const mockIssuer = `http://127.0.0.1:${mockProviderPort}`;

/** Makes a workspace (safe to repeat) connected to a provider, registers the redirect URI the
 * command printed with the provider, and returns the workspace's id. */
async function connected(name: string, issuer: string, secret: string, domain: string, extra: string[] = []): Promise<string> {
  const { id } = cli(['workspace', 'create', name]);
  // The operator's own admin, beside the provider's people: the admin group never demotes a
  // workspace's last admin.
  cli(['user', 'add', `ops@${domain}`, '--workspace', id, '--role', 'admin', '--password-stdin'], 'operator-password-1\n');
  const set = cli(['sso', 'set', '--workspace', id, '--issuer', issuer, '--client-id', 'token-console', '--client-secret-stdin',
    '--admin-group', 'token-admins', '--domain', domain, ...extra], `${secret}\n`);
  expect(set.redirect_uri).toBe(`http://127.0.0.1:18181/api/sso/callback/${id}`);
  if (issuer === nodeIssuer) await fetch(`${nodeIssuer}/test/redirect`, { method: 'POST', body: set.redirect_uri });
  if (set.post_logout_redirect_uri) {
    expect(set.post_logout_redirect_uri).toBe('http://127.0.0.1:18181/signin');
    await fetch(`${nodeIssuer}/test/post-logout`, { method: 'POST', body: set.post_logout_redirect_uri });
  }
  return id;
}

/** Through the node provider's development login and consent pages. */
async function nodeProviderLogin(page: Page, login: string) {
  await expect(page).toHaveURL(new RegExp(`^${nodeIssuer}/interaction/`));
  await page.getByPlaceholder('Enter any login').fill(login);
  await page.getByPlaceholder('and password').fill('anything');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  // Consent is asked the first time only: either it shows, or the provider sends the browser back.
  const consent = page.getByRole('button', { name: 'Continue' });
  const back = page.waitForURL((url) => !url.href.startsWith(nodeIssuer), { timeout: 10_000 });
  if (await Promise.race([consent.waitFor().then(() => true), back.then(() => false)])) await consent.click();
}

async function ssoFrom(page: Page, email: string, labels = { email: 'Email', button: 'Sign in with SSO' }) {
  await page.getByLabel(labels.email).fill(email);
  await page.getByRole('link', { name: labels.button }).click();
}

let initech = '';

test.beforeAll(async () => {
  // Erin has a password from before the provider was required; Initech requires it now.
  const { id } = cli(['workspace', 'create', 'Initech']);
  cli(['user', 'add', 'erin@initech.test', '--workspace', id, '--role', 'member', '--password-stdin'], 'erin-old-password\n');
  initech = await connected('Initech', nodeIssuer, 'node-provider-client-secret', 'initech.test', ['--required']);
});

test('an SSO-required workspace: through the provider to the deep link, no password, and the admin group decides the role', async ({ page }) => {
  // A deep link, opened signed out: the sign-in stands in for it, and SSO comes back to it.
  await page.goto(`/w/${initech}/admin/tokens?tab=members`);
  await expect(page.getByRole('heading', { name: 'Sign in to Token Console' })).toBeVisible();
  await expectNoAxeViolations(page);
  await ssoFrom(page, 'dana@initech.test');
  await nodeProviderLogin(page, 'dana');
  await expect(page).toHaveURL(new RegExp(`/w/${initech}/admin/tokens\\?tab=members$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Members');
  await expect(page.getByText('Signed in as dana@initech.test')).toBeVisible();
  // The admins see the connection and how it is doing.
  await expect(page.getByText(`Single sign-on: ${nodeIssuer} · passwords refused`)).toBeVisible();
  await expectNoAxeViolations(page);

  // Erin's old password opens nothing now, and the form says what to do.
  const erin = await page.context().browser()!.newPage();
  await erin.goto('/tokens');
  await erin.getByLabel('Email').fill('erin@initech.test');
  await erin.getByLabel('Password').fill('erin-old-password');
  await erin.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(erin.getByText('Your workspace signs in through its identity provider: use Sign in with SSO.')).toBeVisible();
  // Through the provider she is in, on her own account.
  await ssoFrom(erin, 'erin@initech.test');
  await nodeProviderLogin(erin, 'erin');
  await expect(erin.getByRole('heading', { level: 1 })).toHaveText(/^API tokens/);
  await expect(erin.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await erin.close();

  // Dana leaves the admin group at the provider: a member at the next sign-in.
  await fetch(`${nodeIssuer}/test/groups/dana`, { method: 'POST', body: JSON.stringify(['staff']) });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto(`/w/${initech}/admin/tokens`);
  await ssoFrom(page, 'dana@initech.test');
  // The provider remembers her: straight back.
  await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
  await page.goto('/tokens');
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
});

test('signing out ends the provider’s session too where the operator asked: the provider asks for the login again', async ({ page }) => {
  await connected('Hooli', nodeIssuer, 'node-provider-client-secret', 'hooli.test', ['--sign-out-at-provider']);
  await page.goto('/tokens');
  await ssoFrom(page, 'gina@hooli.test');
  await nodeProviderLogin(page, 'gina');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^API tokens/);
  // Sign out: our session ends, then the provider's, which asks first and sends her back.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(new RegExp(`^${nodeIssuer}/`));
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await expect(page).toHaveURL('http://127.0.0.1:18181/signin');
  await expect(page.getByRole('heading', { name: 'Sign in to Token Console' })).toBeVisible();
  expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(401);
  // The provider forgot her: its login page, not straight back.
  await ssoFrom(page, 'gina@hooli.test');
  await expect(page).toHaveURL(new RegExp(`^${nodeIssuer}/interaction/`));
  await expect(page.getByPlaceholder('Enter any login')).toBeVisible();
});

test.describe('in Simplified Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('keys rotated at the provider mid-test, a refused sign-in, an unknown domain', async ({ page }) => {
    const labels = { email: '邮箱', button: '使用 SSO 登录' };
    await fetch(`${nodeIssuer}/test/rotate`, { method: 'POST' });
    await page.goto('/tokens');
    await expect(page.getByRole('heading', { name: '登录令牌控制台' })).toBeVisible();
    await expectNoAxeViolations(page);
    await ssoFrom(page, 'erin@initech.test', labels);
    await nodeProviderLogin(page, 'erin');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/API 令牌/);
    await page.getByRole('button', { name: '退出登录' }).click();

    // Someone else, at a browser the provider does not know, cancels there: back on the sign-in
    // page, told why, in their language.
    await page.context().clearCookies();
    await page.goto('/tokens');
    await ssoFrom(page, 'erin@initech.test', labels);
    await expect(page).toHaveURL(new RegExp(`^${nodeIssuer}/interaction/`));
    await page.getByRole('link', { name: 'Cancel' }).click();
    await expect(page.getByText('身份提供方未允许您登录（拒绝授权或无权访问）。')).toBeVisible();
    await expectNoAxeViolations(page);
    // An address no workspace signs in for is named at the form.
    await ssoFrom(page, 'someone@nowhere.test', labels);
    await expect(page.getByText('没有工作区为此邮箱域名启用 SSO。')).toBeVisible();
  });
});

test('a second provider, oidc-provider-mock: required, to the deep link, and the admin group followed', async ({ page }) => {
  const umbrella = await connected('Umbrella', mockIssuer, 'any-secret-the-mock-takes', 'umbrella.test', ['--required']);
  const frank = (groups: string[]) => fetch(`${mockIssuer}/users/frank`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'frank@umbrella.test', email_verified: true, name: 'Frank Umbrella', groups }),
  });
  await frank(['token-admins']);
  const signInAsFrank = async () => {
    await page.goto(`/w/${umbrella}/admin/tokens`);
    await ssoFrom(page, 'frank@umbrella.test');
    await expect(page).toHaveURL(new RegExp(`^${mockIssuer}/oauth2/authorize`));
    await page.getByPlaceholder('sub').fill('frank');
    await page.getByRole('button', { name: 'Authorize' }).click();
  };
  await signInAsFrank();
  await expect(page).toHaveURL(new RegExp(`/w/${umbrella}/admin/tokens$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Workspace tokens');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await frank([]);
  await signInAsFrank();
  await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  // Umbrella requires its provider: the operator's own admin's password opens nothing there.
  await page.goto('/tokens');
  await page.getByLabel('Email').fill('ops@umbrella.test');
  await page.getByLabel('Password').fill('operator-password-1');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByText('Your workspace signs in through its identity provider: use Sign in with SSO.')).toBeVisible();
});

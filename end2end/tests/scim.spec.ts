import { test, expect, expectNoAxeViolations, cli, type Page } from './support';
import { mockProviderPort } from '../playwright.config';

// Offboarding by the identity provider: the provider pushes a person through SCIM, they make
// three tokens, the provider deactivates them, and at once their refresh tokens are refused
// while the Admins page shows who came from SCIM and why their tokens stopped, in both
// languages. The workspace is connected to oidc-provider-mock on loopback, as the operator
// would (`sso set` discovers the provider first), and given a SCIM credential.
const base = 'http://127.0.0.1:18181';
const PASSWORD = 'umbrella-password-1';
let workspace = '';
let clientId = '';
let credential = '';

test.beforeAll(async () => {
  const made = cli(['workspace', 'create', 'Umbrella']);
  [workspace, clientId] = [made.id, made.client_id];
  cli(['user', 'add', 'ops@umbrella.test', '--workspace', workspace, '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
  cli(['sso', 'set', '--workspace', workspace, '--issuer', `http://127.0.0.1:${mockProviderPort}`, '--client-id', 'token-console',
    '--client-secret-stdin', '--admin-group', 'token-admins', '--domain', 'umbrella.test'], 'mock-secret\n');
  credential = cli(['scim-credential', 'create', '--workspace', workspace]).scim_credential;
});

/** A SCIM request as the provider sends it. */
async function scim(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: response.status === 204 ? {} : await response.json() };
}

/** The person's three tokens, made through the API as their integrations' owner would. */
async function threeTokens(page: Page, email: string): Promise<string[]> {
  const session = await page.request.post('/api/session', { data: { email, password: PASSWORD } });
  const csrf = (await session.json()).csrf_token;
  const refresh: string[] = [];
  for (const use of ['ci', 'deploy', 'backup']) {
    const made = await page.request.post(`/api/workspaces/${workspace}/tokens`, {
      data: { name: `${email} ${use}`, lifetime_days: 365, all_permissions: true }, headers: { 'x-csrf-token': csrf },
    });
    expect(made.status()).toBe(201);
    refresh.push((await made.json()).refresh_token);
  }
  await page.request.delete('/api/session', { headers: { 'x-csrf-token': csrf } });
  return refresh;
}

const languages = [
  {
    locale: 'en-US', who: 'pat', signIn: { email: 'Email', password: 'Password', button: 'Sign in' },
    provisioned: 'Provisioned by SCIM; last push: ', mark: 'from SCIM', removed: /Disabled .*: the identity provider removed its owner/,
    actor: 'The identity provider', action: 'Member removed', members: 'Members', audit: 'Audit trail',
  },
  {
    locale: 'zh-CN', who: 'bao', signIn: { email: '邮箱', password: '密码', button: '登录' },
    provisioned: '由 SCIM 预配；最近推送：', mark: '来自 SCIM', removed: /停用：身份提供方已移除其所有者/,
    actor: '身份提供方', action: '移除成员', members: '成员', audit: '审计记录',
  },
];

for (const l of languages) {
  test.describe(`in ${l.locale}`, () => {
    test.use({ locale: l.locale });

    test('the identity provider deactivates a member: their refresh tokens stop at once, and the Admins page shows why', async ({ page }) => {
      const email = `${l.who}@umbrella.test`;
      // Pushed by the provider (with a password the operator set, so they can make tokens here
      // without the provider's login page).
      cli(['user', 'add', email, '--workspace', workspace, '--role', 'member', '--password-stdin'], `${PASSWORD}\n`);
      const pushed = await scim('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: email, externalId: `00u-${l.who}`,
        name: { givenName: l.who, familyName: 'Umbrella' }, emails: [{ value: email, primary: true, type: 'work' }],
      });
      expect(pushed.status).toBe(201);
      const refresh = await threeTokens(page, email);

      // The admin sees that the workspace is provisioned, and who came from it.
      await page.goto(`/w/${workspace}/admin/tokens?tab=members`);
      await page.getByLabel(l.signIn.email).fill('ops@umbrella.test');
      await page.getByLabel(l.signIn.password).fill(PASSWORD);
      await page.getByRole('button', { name: l.signIn.button, exact: true }).click();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(l.members);
      await expect(page.getByText(l.provisioned)).toBeVisible();
      await expect(page.getByRole('row', { name: new RegExp(email) })).toContainText(l.mark);
      await expectNoAxeViolations(page);

      // The provider deactivates them, as Okta does.
      const off = await scim('PATCH', `/Users/${pushed.json.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', value: { active: false } }],
      });
      expect(off.status).toBe(200);
      for (const token of refresh) {
        const refused = await page.request.post('/oauth2/token', {
          form: { grant_type: 'refresh_token', client_id: clientId, refresh_token: token },
        });
        expect(refused.status()).toBe(400);
        expect((await refused.json()).error).toBe('invalid_grant');
      }

      // The Admins page: gone from the members, every token saying why, the provider as actor.
      await page.reload();
      await expect(page.getByRole('row', { name: new RegExp(email) })).toHaveCount(0);
      await page.goto(`/w/${workspace}/admin/tokens?status=disabled`);
      await expect(page.getByRole('row').filter({ hasText: email }).filter({ hasText: l.removed })).toHaveCount(3);
      await expectNoAxeViolations(page);
      await page.goto(`/w/${workspace}/admin/tokens?tab=audit`);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(l.audit);
      const removal = page.getByRole('row').filter({ hasText: l.action }).filter({ hasText: email });
      await expect(removal.first()).toContainText(l.actor);
      await expectNoAxeViolations(page);
    });
  });
}

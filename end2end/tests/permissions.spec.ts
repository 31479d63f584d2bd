import { test, expect, expectNoAxeViolations, cli } from './support';

// Tokens that carry only what they need: the operator gives a workspace its catalogue of
// permissions, a member generates a token of one permission from one address range, both pages
// show what it carries, and the token refreshes only from inside its range, in both languages.
const PASSWORD = 'initech-password-1';
let workspace = '';
let clientId = '';

test.beforeAll(async () => {
  const made = cli(['workspace', 'create', 'Initech']);
  [workspace, clientId] = [made.id, made.client_id];
  cli(['user', 'add', 'bill@initech.test', '--workspace', workspace, '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
  cli(['permission', 'add', '--workspace', workspace, 'datasets:read', '--description', 'Read datasets']);
  cli(['permission', 'add', '--workspace', workspace, 'datasets:write', '--description', 'Change datasets']);
  cli(['permission', 'add', '--workspace', workspace, 'jobs:run']);
});

const languages = [
  {
    locale: 'en-US', who: 'milton', signIn: { email: 'Email', password: 'Password', button: 'Sign in' },
    generate: 'Generate token', dialog: 'Generate a token', all: 'All permissions, later ones too',
    ranges: 'Allowed addresses', summary: 'Limit where it may be used from', badRange: 'Write ranges such as 10.0.0.0/8', close: 'Close', anyway: 'Close anyway', from: 'from 10.0.0.0/8',
    permission: 'Permission', copy: 'Copy your new token',
  },
  {
    locale: 'zh-CN', who: 'peter', signIn: { email: '邮箱', password: '密码', button: '登录' },
    generate: '生成令牌', dialog: '生成令牌', all: '全部权限（含以后新增的）',
    ranges: '允许的地址', summary: '限制可使用的地址', badRange: '请按 10.0.0.0/8 的格式填写地址段', close: '关闭', anyway: '仍然关闭', from: '仅限 10.0.0.0/8',
    permission: '权限', copy: '复制',
  },
];

for (const l of languages) {
  test.describe(`in ${l.locale}`, () => {
    test.use({ locale: l.locale });

    test('a member generates a token of one permission from one range; it works only from there, and both pages show it', async ({ page }) => {
      const email = `${l.who}@initech.test`;
      cli(['user', 'add', email, '--workspace', workspace, '--role', 'member', '--password-stdin'], `${PASSWORD}\n`);
      await page.goto(`/w/${workspace}/tokens`);
      await page.getByLabel(l.signIn.email).fill(email);
      await page.getByLabel(l.signIn.password).fill(PASSWORD);
      await page.getByRole('button', { name: l.signIn.button, exact: true }).click();

      await page.getByRole('button', { name: l.generate }).first().click();
      const dialog = page.getByRole('dialog', { name: l.dialog });
      await dialog.getByRole('textbox').first().fill(`${l.who} reader`);
      // Nothing chosen: nothing to generate.
      const submit = dialog.getByRole('button', { name: l.generate });
      await expect(submit).toBeDisabled();
      await expect(dialog.getByText('Read datasets')).toBeVisible();
      await expect(dialog.getByRole('checkbox', { name: l.all })).toBeVisible();
      await dialog.getByRole('checkbox', { name: /datasets:read/ }).check();
      await expect(submit).toBeEnabled();
      // A range the service cannot read is named under its field, and nothing is made.
      await dialog.getByText(l.summary).click();
      await dialog.getByLabel(l.ranges).fill('10.1.2.3/8');
      await submit.click();
      await expect(dialog.getByText(l.badRange)).toBeVisible();
      await expectNoAxeViolations(page);
      await dialog.getByLabel(l.ranges).fill('10.0.0.0/8');
      await submit.click();
      const reveal = page.getByRole('dialog', { name: l.copy });
      await expect(reveal).toBeVisible();
      const refresh = await reveal.locator('input[readonly]').last().inputValue();
      expect(refresh).toMatch(/^tcr_/);
      await reveal.getByRole('button', { name: l.close, exact: true }).click();
      await reveal.getByRole('button', { name: l.anyway, exact: true }).click();

      // The owner's page says what it carries and from where.
      const row = page.getByRole('row', { name: new RegExp(`${l.who} reader`) });
      await expect(row).toContainText('datasets:read');
      await expect(row).toContainText(l.from);
      await expectNoAxeViolations(page);

      // From this machine (outside 10.0.0.0/8) the refresh is refused; the token stays active.
      const refused = await page.request.post('/oauth2/token', {
        form: { grant_type: 'refresh_token', client_id: clientId, refresh_token: refresh },
      });
      expect(refused.status()).toBe(400);
      expect((await refused.json()).error).toBe('invalid_grant');
      // The address is checked first: from outside, asking for another scope tells nothing more.
      const wider = await page.request.post('/oauth2/token', {
        form: { grant_type: 'refresh_token', client_id: clientId, refresh_token: refresh, scope: 'datasets:write' },
      });
      expect((await wider.json()).error).toBe('invalid_grant');

      // The admin finds it by its permission; the alarm of the refused refresh is in the audit trail.
      await page.context().clearCookies();
      await page.goto(`/w/${workspace}/admin/tokens`);
      await page.getByLabel(l.signIn.email).fill('bill@initech.test');
      await page.getByLabel(l.signIn.password).fill(PASSWORD);
      await page.getByRole('button', { name: l.signIn.button, exact: true }).click();
      await page.getByRole('combobox', { name: l.permission, exact: true }).selectOption('datasets:read');
      await expect(page).toHaveURL(/permission=datasets%3Aread|permission=datasets:read/);
      const listed = page.getByRole('row', { name: new RegExp(`${l.who} reader`) });
      await expect(listed).toContainText('datasets:read');
      await expect(listed).toContainText(l.from);
      await page.getByRole('combobox', { name: l.permission, exact: true }).selectOption('jobs:run');
      await expect(page.getByRole('row', { name: new RegExp(`${l.who} reader`) })).toHaveCount(0);
      await expectNoAxeViolations(page);
    });
  });
}

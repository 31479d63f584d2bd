import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { test, expect, expectNoAxeViolations, signIn } from './support';
import { streamReceiverPort } from '../playwright.config';

// The Admins page's Streaming tab: an admin adds a destination (a receiver of ours on loopback,
// allowed because the suite's service runs in development mode), copies its secret once, and
// the receiver gets the workspace's audit events signed with that secret; a test event, a
// failing receiver, pausing and removal, in both languages, axe-clean.
type Received = { path: string; signature: string; body: string };
const received: Received[] = [];
let failing = false;
let receiver: Server;

test.beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', signature: String(req.headers['token-console-signature'] ?? ''), body });
      res.writeHead(failing ? 500 : 204).end();
    });
  });
  await new Promise<void>((ready) => receiver.listen(streamReceiverPort, '127.0.0.1', ready));
});

test.afterAll(async () => {
  await new Promise((closed) => receiver.close(closed));
});

/** Whether a delivery's signature is the HMAC-SHA256 of `<t>.<body>` under `secret`. */
function signedWith(secret: string, r: Received): boolean {
  const parts = Object.fromEntries(r.signature.split(',').map((p) => p.split('=', 2)));
  const expected = createHmac('sha256', secret).update(`${parts.t}.${r.body}`).digest('hex');
  return parts.v1 === expected && Math.abs(Date.now() / 1000 - Number(parts.t)) < 300;
}

const languages = [
  {
    locale: 'en-US', host: '127.0.0.1', signIn: { email: 'Email', password: 'Password', button: 'Sign in' },
    tab: 'Streaming', url: 'URL (https://)', headers: 'Headers (optional)', add: 'Add destination',
    secret: 'Signing secret', done: 'Done', active: 'Active', paused: 'Paused', test: 'Send a test event',
    delivered: 'Test event delivered (HTTP 204).', failed: 'Test event not delivered: HTTP 500.',
    pause: 'Pause', remove: 'Remove', badUrl: 'Enter an https:// URL of a public address.',
    removeTitle: 'Remove this destination?',
  },
  {
    locale: 'zh-CN', host: 'localhost', signIn: { email: '邮箱', password: '密码', button: '登录' },
    tab: '审计流', url: 'URL（https://）', headers: '请求头（可选）', add: '添加目标',
    secret: '签名密钥', done: '完成', active: '运行中', paused: '已暂停', test: '发送测试事件',
    delivered: '测试事件已送达（HTTP 204）。', failed: '测试事件未送达：HTTP 500。',
    pause: '暂停', remove: '移除', badUrl: '请输入公网地址的 https:// URL。',
    removeTitle: '移除此目标？',
  },
];

for (const l of languages) {
  test.describe(`in ${l.locale}`, () => {
    test.use({ locale: l.locale });

    test('an admin streams the audit trail to a destination, tests, pauses and removes it', async ({ page }) => {
      // Each language's own host, since the page shows only a destination's origin (its path
      // may carry a collector's key).
      const path = `/collect-${l.locale}`;
      const url = `http://${l.host}:${streamReceiverPort}${path}`;
      const shown = `http://${l.host}:${streamReceiverPort}/…`;
      await page.goto('/w/ws-acme/admin/tokens?tab=streaming');
      await signIn(page, 'ada@acme.test', l.signIn);
      await expect(page.getByRole('tab', { name: l.tab })).toHaveAttribute('aria-selected', 'true');

      // A URL the service will not send to is named under its field, and nothing is added.
      await page.getByLabel(l.url).fill('ftp://siem.example.com/');
      await page.getByRole('button', { name: l.add }).click();
      await expect(page.locator('#stream-url-error')).toHaveText(l.badUrl);
      await expect(page.getByLabel(l.url)).toHaveAttribute('aria-invalid', 'true');

      await page.getByLabel(l.url).fill(url);
      await page.getByLabel(l.headers).fill('Authorization: Splunk e2e-hec-token');
      await page.getByRole('button', { name: l.add }).click();
      const secretField = page.getByLabel(l.secret, { exact: true });
      await expect(secretField).toHaveValue(/^tcwhsec_/);
      const secret = await secretField.inputValue();
      await expectNoAxeViolations(page);
      await page.getByRole('button', { name: l.done }).click();
      await expect(secretField).toBeHidden();

      // Listed, running; the receiver gets the event of its adding, signed with the secret.
      const card = page.getByRole('listitem').filter({ hasText: shown });
      await expect(card).toContainText(l.active);
      await expect(card).toContainText('Authorization');
      await expect.poll(() => received.filter((r) => r.path === path && r.body.includes('stream_changed')).length, { timeout: 15_000 })
        .toBeGreaterThan(0);
      const mine = received.filter((r) => r.path === path);
      expect(mine.every((r) => signedWith(secret, r))).toBe(true);
      expect(mine.some((r) => r.body.includes('e2e-hec-token'))).toBe(false);

      // A test event, answered; then the receiver fails, and the page says so.
      await card.getByRole('button', { name: l.test }).click();
      await expect(page.getByText(l.delivered)).toBeVisible();
      failing = true;
      await card.getByRole('button', { name: l.test }).click();
      await expect(page.getByText(l.failed)).toBeVisible();
      failing = false;

      await card.getByRole('button', { name: l.pause }).click();
      await expect(card).toContainText(l.paused);
      await expectNoAxeViolations(page);

      await card.getByRole('button', { name: l.remove }).click();
      const confirm = page.getByRole('dialog', { name: l.removeTitle });
      await confirm.getByRole('button', { name: l.remove }).click();
      await expect(page.getByRole('listitem').filter({ hasText: shown })).toHaveCount(0);
    });
  });
}

import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type Browser } from '@playwright/test';
import { test, expect, expectNoAxeViolations, signIn, PASSWORD } from './support';
import { scanningKeysPort } from '../playwright.config';

// A leaked token revokes itself: the test plays GitHub's secret scanning. It makes a P-256 key
// pair, publishes the public key on loopback where the service was told to fetch GitHub's keys
// (--secret-scanning-keys-url), and posts a signed report naming a live token of Ben's. The
// token stops within that request, Ben's Users page says where it was found, and Ada's audit
// trail shows the alarm by GitHub secret scanning, in both languages.
const base = 'http://127.0.0.1:18181';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const keyId = randomBytes(32).toString('hex');
let keys: Server;

test.beforeAll(async () => {
  const document = JSON.stringify({
    public_keys: [{ key_identifier: keyId, key: publicKey.export({ type: 'spki', format: 'pem' }), is_current: true }],
  });
  keys = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(document));
  await new Promise<void>((ready) => keys.listen(scanningKeysPort, '127.0.0.1', ready));
});

test.afterAll(async () => {
  await new Promise((closed) => keys.close(closed));
});

/** Posts a report as GitHub does: the raw body signed (ECDSA P-256, SHA-256, DER, base64). */
async function report(matches: unknown[], signWith = privateKey) {
  const body = JSON.stringify(matches);
  const signature = sign('sha256', Buffer.from(body), { key: signWith, dsaEncoding: 'der' }).toString('base64');
  return fetch(`${base}/api/secret-scanning/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'Github-Public-Key-Identifier': keyId,
      'Github-Public-Key-Signature': signature,
    },
    body,
  });
}

/** Ben generates a token through the API; its refresh token. */
async function bensToken(browser: Browser, name: string): Promise<string> {
  const context = await browser.newContext();
  const me = await (await context.request.post('/api/session', { data: { email: 'ben@acme.test', password: PASSWORD } })).json();
  const made = await context.request.post('/api/workspaces/ws-acme/tokens', {
    data: { name, lifetime_days: 30, all_permissions: true }, headers: { 'x-csrf-token': me.csrf_token },
  });
  expect(made.status()).toBe(201);
  const refresh = (await made.json()).refresh_token;
  await context.close();
  return refresh;
}

const languages = [
  {
    locale: 'en-US', signIn: { email: 'Email', password: 'Password', button: 'Sign in' },
    found: 'found public at', action: 'Found public', actor: 'GitHub secret scanning',
  },
  {
    locale: 'zh-CN', signIn: { email: '邮箱', password: '密码', button: '登录' },
    found: '停用：发现已公开于', action: '被公开发现', actor: 'GitHub 密钥扫描',
  },
];

for (const l of languages) {
  test.describe(`in ${l.locale}`, () => {
    test.use({ locale: l.locale });

    test('a signed leak report disables a live token, and its owner and the admin see where it was found', async ({ page, browser }) => {
      const name = `leaked ${l.locale}`;
      const refresh = await bensToken(browser, name);
      const url = `https://github.com/acme/app/blob/main/${l.locale}/.env`;
      const match = { token: refresh, type: 'token_console_refresh_token', url, source: 'content' };

      // Signed with a key GitHub does not publish: refused, and the token works on.
      const forged = await report([match], generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
      expect(forged.status).toBe(401);
      const exchange = (token: string) => page.request.post('/oauth2/token', {
        form: { grant_type: 'refresh_token', client_id: 'tcc_acme', refresh_token: token },
      });
      const rotated = await exchange(refresh);
      expect(rotated.status()).toBe(200);
      const current = (await rotated.json()).refresh_token;

      // GitHub's report names the token it found (now rotated out: the client's store leaked).
      const taken = await report([match]);
      expect(taken.status).toBe(200);
      expect(await taken.json()).toEqual([{ token_raw: refresh, token_type: 'token_console_refresh_token', label: 'true_positive' }]);
      const refused = await exchange(current);
      expect(refused.status()).toBe(400);
      expect((await refused.json()).error).toBe('invalid_grant');

      // The owner's Users page says where it was found.
      await page.goto('/w/ws-acme/tokens?status=disabled');
      await signIn(page, 'ben@acme.test', l.signIn);
      await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText(`${l.found} \u2068${url}\u2069`);
      await expectNoAxeViolations(page);

      // The admin's audit trail: an alarm, by GitHub secret scanning.
      const admin = await browser.newPage({ locale: l.locale, baseURL: base });
      await admin.goto('/w/ws-acme/admin/tokens?tab=audit&a_action=alarms');
      await signIn(admin, 'ada@acme.test', l.signIn);
      const event = admin.getByRole('row').filter({ hasText: name });
      await expect(event).toContainText(l.action);
      await expect(event).toContainText(l.actor);
      await expect(event).toContainText(url);
      await expectNoAxeViolations(admin);
      await admin.close();
    });
  });
}

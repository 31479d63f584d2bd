import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, expectNoAxeViolations, generate } from './support';
import { hostPort } from '../playwright.config';

// The embedded panel opens signed in: the example host server holds a host key the operator
// issued for Acme and the host's origin, and mints a one-time ticket for the person signed in to
// it (the page's `?as=`), which the panel exchanges for its session. No form.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const host = `http://127.0.0.1:${hostPort}`;

/** A host key the operator issues for Acme and `origin`, put where the host server reads it. */
function issueHostKey(origin: string) {
  const out = execFileSync(
    path.join(root, 'target/debug/token-server'),
    ['host-key', 'create', '--workspace', 'ws-acme', '--origin', origin, '--database-url', 'sqlite://.e2e-data/e2e.db'],
    { encoding: 'utf8', env: { ...process.env, RUST_LOG: 'warn' } },
  );
  const key = out.split('\n').find((l) => l.startsWith('host_key='))!.slice('host_key='.length);
  writeFileSync('.e2e-data/host.key', key, { mode: 0o600 });
}

test.beforeAll(() => issueHostKey(host));

test('data attributes: the Users page opens signed in from the ticket the host minted', async ({ page }) => {
  await page.goto(`${host}/data-attributes.html?as=ben@acme.test`);
  const panel = page.locator('#tokens-panel');
  await expect(panel.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  await expect(panel.getByRole('rowheader', { name: 'CI deploy' })).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Sign in', exact: true })).toHaveCount(0);
  // The ticket is in the page once; the session it opened is Acme's only (Ben is in Globex too).
  const workspaces = await page.evaluate(async () => (await (await fetch('/api/me')).json()).workspaces.map((w: { id: string }) => w.id));
  expect(workspaces).toEqual(['ws-acme']);
  await expectNoAxeViolations(page);
});

test('mount(): the Admins page opens signed in, and a remount asks for a new ticket', async ({ page }) => {
  await page.goto(`${host}/settings/tokens?as=ada@acme.test`);
  const panel = page.locator('#admin-panel');
  await expect(panel.getByRole('heading', { level: 1 })).toHaveText('Workspace tokens');
  await expect(panel.getByRole('button', { name: 'Sign in', exact: true })).toHaveCount(0);
  await page.getByRole('button', { name: 'Unmount' }).click();
  await expect(panel.getByRole('table')).toHaveCount(0);
  await page.getByRole('button', { name: 'Mount', exact: true }).click();
  await expect(panel.getByRole('heading', { level: 1 })).toHaveText('Workspace tokens');
});

test('a ticket works once: a page that hands out a used ticket gets no session', async ({ page }) => {
  const answer = await page.request.get(`${host}/host/ticket?as=cy@acme.test`);
  const { ticket } = await answer.json();
  expect(ticket).toMatch(/^tcht_/);
  const mountWith = (id: string) => page.evaluate(async ([id, t]) => {
    const { mount } = await import('/token-console/embed.js');
    const el = document.createElement('div');
    el.id = id;
    document.body.append(el);
    await mount(el, { ticket: t });
  }, [id, ticket]);
  await page.goto(`${host}/data-attributes.html`);
  await mountWith('first');
  await expect(page.locator('#first').getByRole('heading', { name: 'API tokens' })).toBeVisible();
  // The same ticket again (a cached page, a copy in a log), in a browser with no session.
  await page.context().clearCookies();
  await page.goto(`${host}/data-attributes.html`);
  await mountWith('replayed');
  await expect(page.locator('#replayed').getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(401);
});

test('iframe on another site: the host signs its frame in with a ticket, and the session lives in the frame only', async ({ page }) => {
  // The host as `localhost` is another site than the service's 127.0.0.1: the frame never gets
  // the service's SameSite=Strict cookie. The operator issued a key for that origin.
  const crossSite = `http://localhost:${hostPort}`;
  issueHostKey(crossSite);
  try {
    await page.goto(`${crossSite}/iframe.html?as=ben@acme.test`);
    const frame = page.frameLocator('iframe[title="API tokens"]');
    await expect(frame.getByRole('heading', { name: 'API tokens' })).toBeVisible();
    await expect(frame.getByRole('rowheader', { name: 'CI deploy' })).toBeVisible();
    await expect(frame.getByRole('button', { name: 'Sign in', exact: true })).toHaveCount(0);
    // The frame asked the host, which answered; its writes work (the CSRF token and the session
    // in headers), and the host hears of them.
    await expect(page.locator('#host-events')).toContainText('"event":"ticket-wanted"');
    // Named afresh each run: a retry finds the earlier run's token in the list.
    const framedName = `framed by a host ${Date.now()}`;
    const { reveal } = await generate(frame, framedName);
    await reveal.getByRole('button', { name: 'Close' }).click();
    await reveal.getByRole('button', { name: 'Close anyway' }).click();
    await expect(page.locator('#host-events')).toContainText(`"name":"${framedName}"`);
    // No cookie was set for the service, and nothing in the frame's storage (where the browser
    // gives a cross-site frame any) holds a session or a ticket.
    const cookies = await page.context().cookies('http://127.0.0.1:18181');
    expect(cookies.map((c) => c.name)).not.toContain('tc_session');
    const frameHandle = page.frames().find((f) => f.url().includes('/embed/users'))!;
    const stored = await frameHandle.evaluate(() => {
      try { return JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }); } catch { return 'no storage'; }
    });
    expect(stored).not.toMatch(/tcht_|session/);
    await expectNoAxeViolations(page);
    // A ticket that opens nothing (used, made up, posted twice) leaves the frame signed in.
    const serviceOrigin = 'http://127.0.0.1:18181';
    await page.evaluate(([origin]) => {
      (document.querySelector('iframe[data-service]') as HTMLIFrameElement).contentWindow!.postMessage('tcht_made-up', origin);
    }, [serviceOrigin]);
    await page.waitForTimeout(500);
    await expect(frame.getByRole('button', { name: 'Sign in', exact: true })).toHaveCount(0);
    const again = await generate(frame, `still signed in ${Date.now()}`);
    await again.reveal.getByRole('button', { name: 'Close' }).click();
    await again.reveal.getByRole('button', { name: 'Close anyway' }).click();
    // Reloaded, the frame has no session (it was in memory) and asks again: signed in again.
    await frameHandle.goto(frameHandle.url());
    await expect(frame.getByRole('rowheader', { name: framedName })).toBeVisible();
  } finally {
    issueHostKey(host);
  }
});

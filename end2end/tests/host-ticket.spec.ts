import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, expectNoAxeViolations } from './support';
import { hostPort } from '../playwright.config';

// The embedded panel opens signed in: the example host server holds a host key the operator
// issued for Acme and the host's origin, and mints a one-time ticket for the person signed in to
// it (the page's `?as=`), which the panel exchanges for its session. No form.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const host = `http://127.0.0.1:${hostPort}`;

test.beforeAll(() => {
  const out = execFileSync(
    path.join(root, 'target/debug/token-server'),
    ['host-key', 'create', '--workspace', 'ws-acme', '--origin', host, '--database-url', 'sqlite://.e2e-data/e2e.db'],
    { encoding: 'utf8', env: { ...process.env, RUST_LOG: 'warn' } },
  );
  const key = out.split('\n').find((l) => l.startsWith('host_key='))!.slice('host_key='.length);
  writeFileSync('.e2e-data/host.key', key, { mode: 0o600 });
});

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

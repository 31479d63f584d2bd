import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, expectNoAxeViolations } from './support';

// A deployment of its own, on an empty database, set up with the service's commands alone.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'target/debug/token-server');
const port = 18184;
const origin = `http://127.0.0.1:${port}`;

/** `key=value` lines. */
function values(out: string): Record<string, string> {
  return Object.fromEntries(out.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

test('a fresh deployment: from an empty database to a signed-in admin with the commands alone', async ({ page }) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tc-onboarding-'));
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${dir}/fresh.db`,
    LISTEN_ADDR: `127.0.0.1:${port}`,
    PUBLIC_URL: origin,
    DIST_DIR: path.join(root, 'dist'),
    RUST_LOG: 'warn',
  };
  const run = (args: string[], input?: string) => execFileSync(bin, args, { env, input, encoding: 'utf8' });
  const server = spawn(bin, ['serve'], { env, stdio: 'ignore' });
  try {
    run(['migrate']);
    const workspace = values(run(['workspace', 'create', 'Initech']));
    expect(workspace.client_id).toMatch(/^tcc_/);
    const { link } = values(run(['user', 'add', 'boss@initech.test', '--workspace', workspace.id, '--role', 'admin', '--name', 'Bill Lumbergh']));
    expect(link).toMatch(new RegExp(`^${origin}/set-password#`));

    await expect.poll(async () => (await fetch(`${origin}/readyz`).catch(() => null))?.status, { timeout: 20_000 }).toBe(200);
    await page.goto(link);
    await expect(page.getByRole('heading', { name: 'Set your password' })).toBeVisible();
    // The secret is taken off the address at once.
    await expect(page).toHaveURL(`${origin}/set-password`);
    await expectNoAxeViolations(page);
    await page.getByLabel('New password').fill('initech boss password');
    await page.getByLabel('Repeat the password').fill('initech boss passwrd');
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page.getByText('The two passwords differ.')).toBeVisible();
    await page.getByLabel('Repeat the password').fill('initech boss password');
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page.getByText('Your password is set.')).toBeVisible();

    // The link works once.
    const again = await page.context().newPage();
    await again.goto(link);
    await again.getByLabel('New password').fill('someone else entirely');
    await again.getByLabel('Repeat the password').fill('someone else entirely');
    await again.getByRole('button', { name: 'Set password' }).click();
    await expect(again.getByText('This link has expired or was already used.')).toBeVisible();
    await again.close();

    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill('boss@initech.test');
    await page.getByLabel('Password').fill('initech boss password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(new RegExp(`/w/${workspace.id}/tokens`));
    await expect(page.getByText('Signed in as boss@initech.test')).toBeVisible();
    await page.getByRole('link', { name: 'Admin' }).click();
    await expect(page.getByRole('heading', { name: 'Workspace tokens' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Generate token' })).toHaveCount(0);
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

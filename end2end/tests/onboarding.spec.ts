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
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
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

test('an account one workspace made reaches no other: the operator takes it over, and everything its maker held ends', async ({ page, browser }) => {
  const takeoverPort = 18185;
  const at = `http://127.0.0.1:${takeoverPort}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'tc-takeover-'));
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${dir}/takeover.db`,
    LISTEN_ADDR: `127.0.0.1:${takeoverPort}`,
    PUBLIC_URL: at,
    DIST_DIR: path.join(root, 'dist'),
    RUST_LOG: 'warn',
  };
  const run = (args: string[], input?: string) => execFileSync(bin, args, { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  const server = spawn(bin, ['serve'], { env, stdio: 'ignore' });
  const signInAs = async (p: typeof page, email: string, password: string) => {
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
  };
  try {
    run(['migrate']);
    const hooli = values(run(['workspace', 'create', 'Hooli']));
    const initech = values(run(['workspace', 'create', 'Initech']));
    run(['user', 'add', 'gavin@hooli.test', '--workspace', hooli.id, '--role', 'admin', '--password-stdin'], 'gavin long password\n');
    run(['user', 'add', 'bill@initech.test', '--workspace', initech.id, '--role', 'admin', '--password-stdin'], 'bill long password\n');
    await expect.poll(async () => (await fetch(`${at}/readyz`).catch(() => null))?.status, { timeout: 20_000 }).toBe(200);

    // Hooli's admin adds an Initech address through the page, and so holds its first password.
    await page.goto(`${at}/w/${hooli.id}/admin/tokens`);
    await signInAs(page, 'gavin@hooli.test', 'gavin long password');
    await page.getByRole('button', { name: 'Add member' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a member to this workspace' });
    await dialog.getByLabel('Email').fill('mole@initech.test');
    await dialog.getByRole('button', { name: 'Add member' }).click();
    const gavinsLink = await dialog.getByRole('textbox', { name: 'Set-password link' }).inputValue();
    const mole = await (await browser.newContext()).newPage();
    await mole.goto(gavinsLink);
    await mole.getByLabel('New password').fill('gavin knows this');
    await mole.getByLabel('Repeat the password').fill('gavin knows this');
    await mole.getByRole('button', { name: 'Set password' }).click();
    await expect(mole.getByText('Your password is set.')).toBeVisible();
    await mole.goto(`${at}/w/${hooli.id}/tokens`);
    await signInAs(mole, 'mole@initech.test', 'gavin knows this');
    await expect(mole.getByText('Signed in as mole@initech.test')).toBeVisible();
    const csrf = (await (await mole.request.get(`${at}/api/me`)).json()).csrf_token;
    const made = await mole.request.post(`${at}/api/workspaces/${hooli.id}/tokens`, {
      data: { name: 'way into hooli', lifetime_days: 365, all_permissions: true },
      headers: { 'x-csrf-token': csrf },
    });
    expect(made.status()).toBe(201);

    // The operator adds the address to Initech as the README says: refused, naming its maker.
    const add = ['user', 'add', 'mole@initech.test', '--workspace', initech.id, '--role', 'member'];
    let refused = '';
    try {
      run(add);
    } catch (e) {
      refused = String((e as { stderr: string }).stderr);
    }
    expect(refused).toContain('gavin@hooli.test');
    expect(refused).toContain('--take-over');

    // Taken over: the session Gavin's password opened ends, and so does that password.
    const taken = values(run([...add, '--take-over']));
    expect(taken.made_by).toBe('gavin@hooli.test');
    await mole.reload();
    await expect(mole.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
    await signInAs(mole, 'mole@initech.test', 'gavin knows this');
    await expect(mole.getByText('The email or password is wrong.')).toBeVisible();
    await mole.goto(taken.link);
    await mole.getByLabel('New password').fill('the mole is now me');
    await mole.getByLabel('Repeat the password').fill('the mole is now me');
    await mole.getByRole('button', { name: 'Set password' }).click();
    await expect(mole.getByText('Your password is set.')).toBeVisible();
    await mole.goto(`${at}/w/${initech.id}/tokens`);
    await signInAs(mole, 'mole@initech.test', 'the mole is now me');
    await expect(mole.getByText('Signed in as mole@initech.test')).toBeVisible();
    await expect(mole.getByText('You have no tokens in this workspace yet.')).toBeVisible();

    // Hooli's admin sees the token they could reach disabled, and the person gone from Hooli.
    await page.reload();
    await expect(page.getByRole('row', { name: /way into hooli/ })).toContainText(/Disabled .+: the operator reset its owner's account/);

    // Initech's admin reads who did it: the operator, an actor of its own.
    const bill = await (await browser.newContext()).newPage();
    await bill.goto(`${at}/w/${initech.id}/admin/tokens`);
    await signInAs(bill, 'bill@initech.test', 'bill long password');
    await bill.getByRole('tab', { name: 'Audit trail' }).click();
    const row = bill.locator('table.audit tbody tr', { hasText: 'Account taken over' });
    await expect(row).toContainText('The operator');
    await expect(row).toContainText('mole@initech.test');
    const added = bill.locator('table.audit tbody tr', { hasText: 'Member added' }).filter({ hasText: 'mole@initech.test' });
    await expect(added).toContainText('through the command line');
    await expectNoAxeViolations(bill);
    await bill.screenshot({ path: path.join(root, 'end2end/test-results/takeover-audit.png'), fullPage: true });
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

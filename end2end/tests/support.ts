import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Playwright's `test`, whose page fails the test on any Content-Security-Policy violation in
 * any frame: Chromium reports each as a console error, and the init script turns the
 * `securitypolicyviolation` event into one too.
 */
export const test = base.extend({
  page: async ({ page }, use) => {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI}`));
    });
    await use(page);
    expect(violations, 'Content-Security-Policy violations').toEqual([]);
  },
});
export { expect };

// axe-core's bundled script, injected into the page under test.
const AXE = fileURLToPath(new URL('../node_modules/axe-core/axe.min.js', import.meta.url));

export const PASSWORD = 'demo-password';

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, email: string, labels = { email: 'Email', password: 'Password', button: 'Sign in' }) {
  await page.getByLabel(labels.email).fill(email);
  await page.getByLabel(labels.password).fill(PASSWORD);
  await page.getByRole('button', { name: labels.button, exact: true }).click();
}

/** Runs axe-core on the page and expects no violations. */
export async function expectNoAxeViolations(page: Page) {
  // Evaluated, not added as a <script>: the app's CSP rightly refuses inline scripts.
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    // @ts-expect-error axe is injected above
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v: { id: string; help: string; nodes: { target: string[] }[] }) =>
      `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  expect(violations).toEqual([]);
}

/** Generates a token in `scope` and returns the two secrets the reveal showed. */
export async function generate(scope: Page | ReturnType<Page['frameLocator']> | Locator, name: string) {
  await scope.getByRole('button', { name: 'Generate token' }).first().click();
  const dialog = scope.getByRole('dialog', { name: 'Generate a token' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByRole('button', { name: 'Generate token' }).click();
  const reveal = scope.getByRole('dialog', { name: 'Copy your new token' });
  await expect(reveal).toBeVisible();
  const access = await reveal.getByLabel('Access token (expires in 1 hour)', { exact: true }).inputValue();
  const refresh = await reveal.getByLabel(/^Refresh token/).inputValue();
  expect(refresh).toMatch(/^tcr_/);
  return { reveal, access, refresh };
}

/** The service's command line, on the suite's database: its `key=value` lines. */
export function cli(args: string[], input?: string): Record<string, string> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const out = execFileSync(path.join(root, 'target/debug/token-server'), [...args, '--database-url', 'sqlite://.e2e-data/e2e.db'], {
    input,
    encoding: 'utf8',
    env: { ...process.env, RUST_LOG: 'warn', PUBLIC_URL: 'http://127.0.0.1:18181' },
  });
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

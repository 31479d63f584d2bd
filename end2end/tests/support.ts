import { expect, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';

// axe-core's bundled script, injected into the page under test.
const AXE = fileURLToPath(new URL('../node_modules/axe-core/axe.min.js', import.meta.url));

export const PASSWORD = 'demo-password';

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, email: string, labels = { email: 'Email', password: 'Password', button: 'Sign in' }) {
  await page.getByLabel(labels.email).fill(email);
  await page.getByLabel(labels.password).fill(PASSWORD);
  await page.getByRole('button', { name: labels.button }).click();
}

/** Runs axe-core on the page and expects no violations. */
export async function expectNoAxeViolations(page: Page) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    // @ts-expect-error axe is injected above
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v: { id: string; help: string; nodes: { target: string[] }[] }) =>
      `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  expect(violations).toEqual([]);
}

const { chromium } = require('@playwright/test');
(async () => {
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const [w, lang, theme, out] = process.argv.slice(2);
  const ctx = await b.newContext({ viewport: { width: +w, height: 900 }, locale: lang, colorScheme: theme });
  const p = await ctx.newPage();
  await p.goto('http://127.0.0.1:18190/tokens');
  await p.locator('input[type=email]').fill('ben@acme.test');
  await p.locator('input[type=password]').fill('demo-password');
  await p.locator('button[type=submit]').click();
  await p.waitForTimeout(1500);
  await p.locator('table').first().screenshot({ path: out });
  await b.close();
})();

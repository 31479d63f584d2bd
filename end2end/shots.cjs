const { chromium } = require('@playwright/test');
(async () => {
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const out = process.argv[2] || '/tmp/shots';
  const cases = (process.argv[3] || 'users-390-en-light').split(',');
  for (const c of cases) {
    const [page_, w, lang, theme] = c.split('-');
    const ctx = await b.newContext({ viewport: { width: +w, height: 900 }, locale: lang === 'zh' ? 'zh-CN' : 'en-US', colorScheme: theme });
    const p = await ctx.newPage();
    await p.goto('http://127.0.0.1:18190/' + (page_ === 'admin' ? 'admin/tokens' : 'tokens'));
    const email = page_ === 'admin' ? 'ada@acme.test' : 'ben@acme.test';
    await p.locator('input[type=email]').fill(email);
    await p.locator('input[type=password]').fill('demo-password');
    await p.locator('button[type=submit]').click();
    await p.waitForTimeout(1500);
    await p.screenshot({ path: `${out}/${c}.png`, fullPage: !!process.env.FULL });
    const first = await p.locator('table tbody tr').first().boundingBox().catch(() => null);
    const header = await p.locator('header').first().boundingBox().catch(() => null);
    console.log(c, 'first row y', first && Math.round(first.y), 'header h', header && Math.round(header.height));
    await ctx.close();
  }
  await b.close();
})();

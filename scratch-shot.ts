import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
for (const name of process.argv.slice(2)) {
  await page.goto(`file://${name}/report.html`);
  await page.screenshot({ path: `/tmp/rr/${name.split('-').pop()}-${name.includes('0902') ? 'breach' : name.includes('1015') ? 'inc' : 'pass'}.png`, fullPage: true });
}
await browser.close();

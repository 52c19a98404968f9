/**
 * `npm run console:screenshot`: refreshes docs/console.png, the picture of the sandbox console the
 * docs show. Run on purpose (not by the tests): it starts the local product with the console,
 * makes a shared referral and an incoming one, and photographs the page in Debian's Chromium.
 */
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';
import { launchLocalProduct } from '../local/launcher';

const ROOT = resolve(__dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function main(): Promise<void> {
  const product = await launchLocalProduct({
    appRoot: ROOT,
    inMemory: true,
    auth: 'none',
    console: true,
    output: () => undefined,
  });
  try {
    const seed = JSON.parse(
      await (
        await import('node:fs/promises')
      ).readFile(join(ROOT, 'scripts', 'examples', 'seed-shared-referral.json'), 'utf8'),
    ) as Record<string, unknown>;
    await product.request('POST', '/api/referrals', {
      body: JSON.stringify(seed),
      headers: {
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
        prefer: 'wait=30',
      },
    });
    product.local?.sandbox.sendIncoming();
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(product.consoleUrl as string);
    await page.waitForSelector('table[data-engagement]');
    const file = join(ROOT, 'docs', 'console.png');
    await page.screenshot({ path: file, fullPage: true });
    await browser.close();
    console.log(`Wrote ${file}`);
  } finally {
    await product.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});

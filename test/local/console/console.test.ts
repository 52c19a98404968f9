/**
 * The sandbox console in a real headless Chromium (Debian's `chromium`): a shared referral made
 * through the gateway appears as its engagement, Microsoft's referral is accepted from the page,
 * a throttling fault turned on from the page changes the gateway's answer, and an automated
 * accessibility check (axe-core, in the page) finds nothing.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { seedRequest } from '../../support/seed';
import { startProduct, type ProductFixture } from '../../support/local-host';

jest.setTimeout(120000);

/** Debian's package (`.ci/run` installs it when missing); CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let product: ProductFixture;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`,
    );
  }
  product = await startProduct({}, { console: true });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  // The page's CSP allows its own scripts only; the test injects axe-core.
  await page.setBypassCSP(true);
});
afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

const stateOf = (referralId: string) =>
  page.$eval(`tr[data-referral="${referralId}"] .state`, (cell) => cell.textContent);

async function until(what: string, probe: () => Promise<boolean>, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('a shared referral appears as its engagement; Microsoft accepts from the page; a throttling fault changes the answer', async () => {
  const created = await product.request('POST', '/api/referrals', {
    body: JSON.stringify({ ...seedRequest(), externalReferenceId: `console-${randomUUID()}` }),
    headers: {
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      prefer: 'wait=30',
    },
  });
  expect(created.status).toBe(201);
  const { engagementId, microsoftReferral, partnerReferral } = created.body as {
    engagementId: string;
    microsoftReferral: { id: string };
    partnerReferral: { id: string };
  };

  await page.goto(product.consoleUrl as string);
  expect(await page.$eval('.badge', (b) => b.textContent)).toBe('SANDBOX');
  expect(await page.title()).toMatch(/^SANDBOX/);
  await page.waitForSelector(`table[data-engagement="${engagementId}"]`);
  const rows = await page.$$(`table[data-engagement="${engagementId}"] tbody tr`);
  expect(rows).toHaveLength(2);
  expect(await stateOf(microsoftReferral.id)).toBe('New/Pending');

  // Keyboard: the button is reached and pressed as a keyboard user would.
  await page.focus(`#accept-${microsoftReferral.id}`);
  await page.keyboard.press('Enter');
  await until(
    'the accepted state',
    async () => (await stateOf(microsoftReferral.id)) === 'Active/Accepted',
  );
  expect(product.local.sandbox.referrals.get(microsoftReferral.id)?.status).toBe('Active');
  expect(await stateOf(partnerReferral.id)).toBe('New/Pending');

  await page.select('#fault-kind', 'throttle');
  await page.select('#fault-method', 'POST');
  const setValue = (selector: string, value: string) =>
    page.$eval(selector, (input, v) => ((input as unknown as { value: string }).value = v), value);
  await setValue('#fault-seconds', '120');
  await setValue('#fault-times', '50');
  await page.click('#fault-on');
  await until('the fault listed', async () =>
    (await page.$eval('#faults', (list) => list.textContent ?? '')).includes('HTTP 429'),
  );
  const throttled = await product.request('POST', '/api/referrals', {
    body: JSON.stringify({ ...seedRequest(), type: 'Independent', target: [] }),
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
  });
  expect(throttled.status).toBe(429);
  expect((throttled.body as { error: { code: string } }).error.code).toBe('upstreamThrottled');

  await page.click('#fault-clear');
  await until('the faults cleared', async () =>
    (await page.$eval('#faults', (list) => list.textContent ?? '')).includes('None'),
  );
});

test('the details of a referral show its history and the events sent', async () => {
  const [first] = [...product.local.sandbox.referrals.values()];
  await page.click(`#details-${first?.id ?? ''}`);
  await until('the details', async () =>
    (await page.$eval('#details', (d) => d.textContent ?? '')).includes('History'),
  );
  expect(await page.$eval('#details pre', (pre) => pre.textContent ?? '')).toContain(
    first?.id ?? '',
  );
});

test('an automated accessibility check finds no violations', async () => {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  // Evaluated as text: it runs in the page, where axe and document are.
  const violations = (await page.evaluate(
    'axe.run(document).then((r) => r.violations.map((v) => `${v.id} (${v.nodes.length})`))',
  )) as string[];
  expect(violations).toEqual([]);
});

test('the console refuses a change from another page, and requests for another host', async () => {
  const url = product.consoleUrl as string;
  const foreign = await fetch(`${url}sandbox/faults`, {
    method: 'DELETE',
    headers: { origin: 'https://evil.example' },
  });
  expect(foreign.status).toBe(403);
  // A page on another name that resolves here (DNS rebinding) names that host.
  const rebound = await new Promise<number>((resolve, reject) => {
    const target = new URL(`${url}sandbox/referrals`);
    request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        headers: { host: 'evil.example' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    )
      .on('error', reject)
      .end();
  });
  expect(rebound).toBe(421);
});

test("the gateway's side: operations and subscriptions, read from the gateway's own routes", async () => {
  await product.request('POST', '/api/subscriptions', {
    body: JSON.stringify({ notificationUrl: 'http://127.0.0.1:9/flow' }),
    headers: { 'content-type': 'application/json' },
  });
  await until('the subscription', async () =>
    (await page.$eval('#subscriptions', (s) => s.textContent ?? '')).includes('referral-created'),
  );
  expect(await page.$eval('#operations caption', (c) => c.textContent)).toBe(
    'In flight and failed',
  );
});

test('Microsoft declines from the page with the reason chosen there', async () => {
  const sent = product.local.sandbox.sendIncoming();
  if (!sent.ok) throw new Error('not sent');
  const { id } = sent.referral;
  await page.waitForSelector(`#decline-${id}`);
  await page.select('#reason', 'Budget');
  await page.click(`#decline-${id}`);
  await until('the declined state', async () => (await stateOf(id)) === 'Closed/Declined');
  expect(product.local.sandbox.referrals.get(id)?.statusReason).toBe('Budget');
});

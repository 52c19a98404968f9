/**
 * The registration command against the sandbox's webhook registration API (Partner Center's own
 * API, another token audience), signed in as the integration user like the gateway.
 */
import { randomUUID } from 'node:crypto';
import { standInSettings } from '../../local/launcher';
import { startLocalPartnerCenter, type LocalPartnerCenter } from '../../local/stand-ins';
import { loadSettings, type Settings } from '../../shared/config';
import { parseArguments, runRegisterCommand } from '../../scripts/register-webhooks';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

let local: LocalPartnerCenter;
let settings: Settings;
let receiver: Server;
let callbackUrl: string;
const received: string[] = [];

beforeAll(async () => {
  local = await startLocalPartnerCenter();
  settings = loadSettings({
    ...standInSettings(local, 'none'),
    AzureWebJobsStorage: process.env.TEST_TABLES_CONNECTION_STRING,
    TOKEN_CACHE_TABLE: `tokens${randomUUID().slice(0, 8)}`,
  });
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      received.push(text);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/partner-center/events`;
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await local.stop();
});
beforeEach(() => local.sandbox.reset());

const run = async (args: string[]) => {
  const lines: string[] = [];
  const ok = await runRegisterCommand(
    settings,
    parseArguments(['--callback-url', callbackUrl, ...args]),
    (line) => lines.push(line),
    local.fetch,
  );
  return { ok, text: lines.join('\n') };
};

test('registers the four referral events and sends a test event that reaches the callback', async () => {
  const { ok, text } = await run([]);
  expect(ok).toBe(true);
  expect(text).toMatch(/Nothing is registered now/);
  expect(text).toMatch(/The test event was answered: OK/);
  expect(local.sandbox.webhooks.registration).toMatchObject({
    WebhookUrl: callbackUrl,
    WebhookEvents: expect.arrayContaining([
      'referral-created',
      'referral-updated',
      'related-referral-created',
      'related-referral-updated',
    ]),
  });
  expect(received.some((body) => body.includes('test-created'))).toBe(true);
});

test("another integration's URL is left alone unless told to replace it", async () => {
  local.sandbox.webhooks.registration = {
    SubscriberId: randomUUID(),
    WebhookUrl: 'https://crm-connector.example/callback',
    WebhookEvents: ['referral-created', 'referral-updated'],
  };
  const refused = await run([]);
  expect(refused.ok).toBe(false);
  expect(refused.text).toMatch(
    /Another URL is registered \(https:\/\/crm-connector.example\/callback\)/,
  );
  expect(local.sandbox.webhooks.registration?.WebhookUrl).toBe(
    'https://crm-connector.example/callback',
  );
  const replaced = await run(['--replace']);
  expect(replaced.ok).toBe(true);
  expect(local.sandbox.webhooks.registration?.WebhookUrl).toBe(callbackUrl);
});

test('a registration of the gateway already there is kept, other events it has included', async () => {
  local.sandbox.webhooks.registration = {
    SubscriberId: randomUUID(),
    WebhookUrl: callbackUrl,
    WebhookEvents: ['test-created', 'referral-created'],
  };
  const { ok, text } = await run([]);
  expect(ok).toBe(true);
  expect(text).toMatch(/Updated the registration/);
  expect(local.sandbox.webhooks.registration?.WebhookEvents).toContain('test-created');
  expect(local.sandbox.webhooks.registration?.WebhookEvents).toHaveLength(5);
});

test('arguments are checked', () => {
  expect(() => parseArguments(['--force'])).toThrow(/Unknown argument --force/);
});

/** A subscriber names where the gateway POSTs: never inside the partner's network or the cloud's. */
import {
  checkCallbackUrl,
  reachesPublicAddress,
  type Lookup,
} from '../../../../shared/adapters/notifications/callback';

const resolvesTo =
  (...addresses: string[]): Lookup =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const production = { allowLoopback: false };

test('a public HTTPS callback is taken', async () => {
  const checked = await checkCallbackUrl(
    'https://prod-12.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sig=x',
    production,
    resolvesTo('20.50.2.1'),
  );
  expect(checked.ok).toBe(true);
});

test.each([
  ['plain http', 'http://flows.example.com/hook', ['20.50.2.1'], /https/],
  ['credentials in the URL', 'https://user:pw@flows.example.com/hook', ['20.50.2.1'], /user name/],
  ['the metadata endpoint', 'https://169.254.169.254/metadata', [], /internal/],
  ['a private address', 'https://10.1.2.3/hook', [], /internal/],
  ['a name resolving privately', 'https://intranet.example.com/hook', ['192.168.1.10'], /internal/],
  [
    'one private among public',
    'https://mixed.example.com/hook',
    ['20.50.2.1', '172.16.0.5'],
    /internal/,
  ],
  ['loopback', 'https://localhost/hook', ['127.0.0.1'], /internal or loopback/],
  ['IPv6 loopback', 'https://[::1]/hook', [], /internal or loopback/],
  ['IPv6 unique local', 'https://[fd00::1]/hook', [], /internal/],
  ['an IPv4-mapped private address', 'https://[::ffff:10.0.0.1]/hook', [], /internal/],
  ['not a URL', 'flows', [], /absolute URL/],
])('%s is refused', async (_what, url, addresses, problem) => {
  const checked = await checkCallbackUrl(url, production, resolvesTo(...addresses));
  expect(checked.ok).toBe(false);
  if (!checked.ok) expect(checked.problem).toMatch(problem);
});

test('a name that does not resolve is refused', async () => {
  const checked = await checkCallbackUrl('https://nowhere.invalid/hook', production, async () => {
    throw new Error('ENOTFOUND');
  });
  expect(checked).toEqual({ ok: false, problem: expect.stringMatching(/could not be resolved/) });
});

test('loopback, plain http included, only where the local product allows it', async () => {
  const local = { allowLoopback: true };
  expect((await checkCallbackUrl('http://127.0.0.1:9999/flow', local)).ok).toBe(true);
  // Still never a private network address, even locally.
  expect((await checkCallbackUrl('https://10.0.0.1/flow', local)).ok).toBe(false);
});

test('any URL a sender names is fetched only from public addresses (plain http allowed there)', async () => {
  const policy = { allowLoopback: false };
  expect(
    await reachesPublicAddress(
      new URL('http://crl.example.com/ca.crt'),
      policy,
      resolvesTo('20.1.1.1'),
    ),
  ).toBe(true);
  expect(await reachesPublicAddress(new URL('https://169.254.169.254/x'), policy)).toBe(false);
  expect(
    await reachesPublicAddress(new URL('https://localhost/x'), policy, resolvesTo('127.0.0.1')),
  ).toBe(false);
  expect(
    await reachesPublicAddress(
      new URL('https://localhost/x'),
      { allowLoopback: true },
      resolvesTo('127.0.0.1'),
    ),
  ).toBe(true);
});

/**
 * Nothing sensitive leaks: full flows through the local host (its own process, all its output
 * captured) with successes, refusals and upstream failures; then the captured logs and every
 * error answer are searched for each sensitive value of the fixtures: contact data of the
 * customer and team, the request's free text, tokens (caller, access, refresh), the client
 * secret, the cache encryption key and the storage account key.
 */
import { randomUUID } from 'node:crypto';
import { DEVSTORE_KEY } from '../../local/azurite';
import { startProduct, type HttpAnswer, type ProductFixture } from '../support/local-host';
import { independentSeedRequest, seedRequest, setPath } from '../support/seed';

jest.setTimeout(90000);

let product: ProductFixture;
const errorAnswers: HttpAnswer[] = [];

beforeAll(async () => {
  product = await startProduct();
});
afterAll(() => product?.stop());

async function send(body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const answer = await product.request('POST', '/api/referrals', {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), ...headers },
  });
  if (answer.status >= 400) errorAnswers.push(answer);
  return answer;
}

async function settle(answer: HttpAnswer): Promise<void> {
  const location = answer.headers.get('location');
  if (answer.status !== 202 || !location) return;
  for (let i = 0; i < 200; i++) {
    const status = await product.request('GET', location);
    if (status.status !== 202) {
      if (status.status >= 400) errorAnswers.push(status);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every string value of the seed's contact data and free text. */
function sensitiveValuesOf(request: Record<string, unknown>): string[] {
  const customer = request.customerProfile as {
    name: string;
    address: Record<string, string>;
    team: Record<string, string>[];
  };
  const details = request.details as { notes: string };
  return [
    customer.name,
    customer.address.addressLine1 as string,
    ...customer.team.flatMap((m) => [m.firstName, m.lastName, m.email, m.phoneNumber]),
    details.notes,
    request.statusReason as string,
  ].filter((v): v is string => typeof v === 'string' && v.length >= 4);
}

it('logs and error answers hold no contact data, bodies, tokens, secrets or keys', async () => {
  // Successes: a shared and an independent referral, read back.
  await settle(await send({ ...seedRequest(), externalReferenceId: `dp-${randomUUID()}` }));
  const created = await send({
    ...independentSeedRequest(),
    externalReferenceId: `dp-${randomUUID()}`,
  });
  const id = (created.body as { id: string }).id;
  await product.request('GET', `/api/referrals/${id}`);

  // Refusals whose values are contact data: the answers say where and what, never the value.
  await send(
    setPath(independentSeedRequest(), 'customerProfile.team[0].email', 'sue.smith@@contoso'),
  );
  await send(
    setPath(
      independentSeedRequest(),
      'customerProfile.team[1].phoneNumber',
      '4035698759'.repeat(5),
    ),
  );
  await send(setPath(independentSeedRequest(), 'customerProfile.team[0].fristName', 'Sue'));
  await send(`{"customerProfile": {"name": "Contoso Customer Inc", ${'x'.repeat(10)}`);

  // Unauthenticated and unauthorized callers, one with a token that is not a token.
  await send(independentSeedRequest(), { authorization: 'Bearer not.a.token' });
  await send(independentSeedRequest(), { authorization: '' });

  // Partner Center refusing, and failing for good, during a create and during a shared step.
  product.local.sandbox.injectFault({
    fault: { kind: 'status', status: 400, code: 'invalidInput' },
    method: 'POST',
    times: 1,
  });
  await send({ ...independentSeedRequest(), externalReferenceId: `dp-${randomUUID()}` });
  product.local.sandbox.injectFault({
    fault: { kind: 'status', status: 503 },
    method: 'POST',
    times: 20,
  });
  await send({ ...independentSeedRequest(), externalReferenceId: `dp-${randomUUID()}` });
  product.local.sandbox.clearFaults();
  product.local.sandbox.injectFault({
    fault: { kind: 'status', status: 403, code: 'forbidden' },
    method: 'POST',
    skip: 1,
    times: 1,
  });
  await settle(await send({ ...seedRequest(), externalReferenceId: `dp-${randomUUID()}` }));
  product.local.sandbox.clearFaults();

  const secrets = [
    ...sensitiveValuesOf(seedRequest()),
    product.env.PARTNER_CENTER_CLIENT_SECRET as string,
    product.env.TOKEN_CACHE_ENCRYPTION_KEY as string,
    DEVSTORE_KEY,
    product.callerToken,
    ...product.local.identity.issued,
  ];
  expect(product.local.identity.issued.length).toBeGreaterThan(2); // caller, access, refresh
  expect(errorAnswers.length).toBeGreaterThanOrEqual(8);

  const logs = product.output.join('\n');
  expect(logs).toContain('"event":"referral.created"'); // the capture holds the product's logs
  const answers = errorAnswers.map((a) => JSON.stringify(a.body)).join('\n');
  for (const secret of secrets) {
    expect({ secret, inLogs: logs.includes(secret) }).toEqual({ secret, inLogs: false });
    expect({ secret, inAnswers: answers.includes(secret) }).toEqual({ secret, inAnswers: false });
  }
  // Tokens in any form, not just the fixtures': a JWT header or a refresh token's prefix.
  expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  expect(logs).not.toMatch(/rt\.[A-Za-z0-9_-]{20,}/);
});

it('a request without a token is answered 401 over HTTP with WWW-Authenticate', async () => {
  const answer = await product.request('GET', `/api/referrals/${randomUUID()}`, {
    headers: { authorization: '' },
  });
  expect(answer.status).toBe(401);
  expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="referral-gateway"');
});

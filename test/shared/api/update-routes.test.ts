/**
 * Changing a referral through the gateway, against the sandbox and Azurite: checked before
 * anything is sent, written conditionally on the ETag read, and never applied twice by a retry.
 */
import { randomUUID } from 'node:crypto';
import type { Referral } from '../../../shared/contract/schema';
import { errorOf, startLocalGateway, type LocalGateway } from '../../support/gateway';
import { independentSeedRequest, microsoftSample } from '../../support/seed';

let gateway: LocalGateway;

beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterAll(() => gateway.stop());
beforeEach(() => gateway.local.sandbox.reset());

const sandbox = () => gateway.local.sandbox;
const patches = () => sandbox().requestsByMethod.PATCH ?? 0;
const held = (id: string) => sandbox().referrals.get(id) as unknown as Referral;
const member = (email: string) => ({ firstName: 'Jane', lastName: 'Doe', email });

async function created(): Promise<Referral> {
  const answer = await gateway.createReferral(independentSeedRequest(), {
    'idempotency-key': randomUUID(),
  });
  expect(answer.status).toBe(201);
  return answer.body as Referral;
}

test("Microsoft's published patch is applied and the updated referral answered with its ETag", async () => {
  const referral = await created();
  const answer = await gateway.updateReferral(
    referral.id,
    microsoftSample('patch-deal-value-and-add-team-member.request.json'),
  );
  expect(answer.status).toBe(200);
  const updated = answer.body as Referral;
  expect(updated.details?.dealValue).toBe(10000);
  expect(updated.team?.at(-1)).toMatchObject({ email: 'jane.doe@contoso.com' });
  expect(answer.headers.etag).toBe(held(referral.id).eTag);
  expect(updated.eTag).not.toBe(referral.eTag);
  expect(updated.links).toEqual({
    self: { uri: `https://gateway.local/api/referrals/${referral.id}`, method: 'GET' },
  });
  // Which fields changed is logged, never their values.
  const line = gateway.logs.find((l) => l.includes('"referral.updated"')) ?? '';
  expect(line).toContain('/team/-');
  expect(line).not.toContain('jane.doe');
});

test('a stale If-Match answers 412 and nothing is sent to Partner Center', async () => {
  const referral = await created();
  const first = await gateway.updateReferral(
    referral.id,
    [{ op: 'replace', path: '/details/notes', value: 'first' }],
    { 'if-match': referral.eTag as string },
  );
  expect(first.status).toBe(200);
  const before = patches();
  const stale = await gateway.updateReferral(
    referral.id,
    [{ op: 'replace', path: '/details/notes', value: 'second' }],
    { 'if-match': referral.eTag as string },
  );
  expect(stale.status).toBe(412);
  expect(errorOf(stale).code).toBe('preconditionFailed');
  expect(errorOf(stale).message).toMatch(/Read it again/);
  expect(patches()).toBe(before);
  expect(held(referral.id).details?.notes).toBe('first');
});

test.each([
  ['a malformed patch', [{ op: 'remove', path: '/name' }], 'invalidRequest', /op/],
  [
    'a refused transition',
    [{ op: 'replace', path: '/status', value: 'Closed' }],
    'invalidRequest',
    /with 'Closed' use Won, Lost, Declined, Expired/,
  ],
  [
    'a bad value',
    [{ op: 'add', path: '/team/-', value: { firstName: 'A', lastName: 'B', email: 'nope' } }],
    'invalidRequest',
    /e-mail/,
  ],
])('%s answers 400 with the reason and reaches nothing upstream', async (_w, patch, code, why) => {
  const referral = await created();
  const before = patches();
  const answer = await gateway.updateReferral(referral.id, patch);
  expect(answer.status).toBe(400);
  expect(errorOf(answer).code).toBe(code);
  expect(JSON.stringify(errorOf(answer))).toMatch(why);
  expect(patches()).toBe(before);
});

test('a closed referral cannot be reopened: the answer names the allowed moves', async () => {
  const referral = await created();
  expect((await gateway.act('close', referral.id, { outcome: 'Won' })).status).toBe(200);
  const reopen = await gateway.updateReferral(referral.id, [
    { op: 'replace', path: '/status', value: 'Active' },
    { op: 'replace', path: '/substatus', value: 'Accepted' },
  ]);
  expect(reopen.status).toBe(400);
  expect(errorOf(reopen).details).toContainEqual(
    expect.objectContaining({ path: '$.status', code: 'invalidStatusTransition' }),
  );
  expect(JSON.stringify(errorOf(reopen))).toMatch(/allowed: Closed/);
});

describe('a retried add /team/- adds one member', () => {
  test('with an Idempotency-Key: the repeat is answered from the first', async () => {
    const referral = await created();
    const before = held(referral.id).team?.length ?? 0;
    const patch = [{ op: 'add', path: '/team/-', value: member('one@contoso.com') }];
    const headers = { 'idempotency-key': randomUUID() };
    const first = await gateway.updateReferral(referral.id, patch, headers);
    const again = await gateway.updateReferral(referral.id, patch, headers);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(held(referral.id).team).toHaveLength(before + 1);
    // The key names this change: another change under it is refused.
    const other = await gateway.updateReferral(
      referral.id,
      [{ op: 'add', path: '/team/-', value: member('two@contoso.com') }],
      headers,
    );
    expect(other.status).toBe(409);
    expect(errorOf(other).code).toBe('idempotencyKeyReused');
  });

  test('without a key: repeated while nothing else changed, it is a repeat; after a change, a new update', async () => {
    const referral = await created();
    const before = held(referral.id).team?.length ?? 0;
    const patch = [{ op: 'add', path: '/team/-', value: member('one@contoso.com') }];
    expect((await gateway.updateReferral(referral.id, patch)).status).toBe(200);
    const again = await gateway.updateReferral(referral.id, patch);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(held(referral.id).team).toHaveLength(before + 1);
    await gateway.updateReferral(referral.id, [
      { op: 'replace', path: '/details/notes', value: 'in between' },
    ]);
    expect((await gateway.updateReferral(referral.id, patch)).headers).not.toHaveProperty(
      'idempotent-replayed',
    );
    expect(held(referral.id).team).toHaveLength(before + 2);
  });

  test('when the answer of the write is lost, the conditional resend is refused and the update found', async () => {
    const referral = await created();
    const before = held(referral.id).team?.length ?? 0;
    sandbox().injectFault({ fault: { kind: 'drop' }, method: 'PATCH', when: 'after', times: 1 });
    const answer = await gateway.updateReferral(referral.id, [
      { op: 'add', path: '/team/-', value: member('lost@contoso.com') },
    ]);
    expect(answer.status).toBe(200);
    expect(held(referral.id).team).toHaveLength(before + 1);
    expect(patches()).toBe(2);
    expect(gateway.logs.some((l) => l.includes('referral.updateReconciled'))).toBe(true);
  });
});

test('a change by someone else between the read and the write answers 412, applying nothing', async () => {
  const referral = await created();
  sandbox().injectFault({ fault: { kind: 'delay', ms: 400 }, method: 'PATCH', times: 1 });
  const pending = gateway.updateReferral(referral.id, [
    { op: 'add', path: '/team/-', value: member('late@contoso.com') },
  ]);
  await new Promise((resolve) => setTimeout(resolve, 150));
  const token = await gateway.local.identity.signToken(
    { aud: 'https://api.partner.microsoft.com', scp: 'user_impersonation', oid: randomUUID() },
    600,
  );
  const direct = await gateway.local.fetch(
    `${sandbox().apiUrl}/engagements/referrals/${referral.id}`,
    {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${token}`,
        'client-request-id': randomUUID(),
        'content-type': 'application/json',
      },
      body: JSON.stringify([{ op: 'replace', path: '/details/notes', value: 'someone else' }]),
    },
  );
  expect(direct.status).toBe(204);
  const answer = await pending;
  expect(answer.status).toBe(412);
  expect(errorOf(answer).message).toMatch(/changed by someone else/);
  expect(held(referral.id).team?.some((m) => m.email === 'late@contoso.com')).toBe(false);
});

describe('actions', () => {
  const incoming = () => {
    const sent = sandbox().sendIncoming();
    if (!sent.ok) throw new Error('not sent');
    return sent.referral.id;
  };

  test('accept and decline answer a referral sent to the partner', async () => {
    const one = incoming();
    const two = incoming();
    const accepted = await gateway.act('accept', one);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'Active', substatus: 'Accepted' });
    const declined = await gateway.act('decline', two, { reason: 'NotACustomer' });
    expect(declined.body).toMatchObject({
      status: 'Closed',
      substatus: 'Declined',
      statusReason: 'NotACustomer',
    });
    // Declining an accepted referral is not a move the table allows.
    const late = await gateway.act('decline', one, { reason: 'Other' });
    expect(late.status).toBe(400);
  });

  test('an outgoing referral is closed, not accepted', async () => {
    const referral = await created();
    const before = patches();
    const answer = await gateway.act('accept', referral.id);
    expect(answer.status).toBe(400);
    expect(errorOf(answer).details).toContainEqual(
      expect.objectContaining({ code: 'notIncoming' }),
    );
    expect(patches()).toBe(before);
    const lost = await gateway.act('close', referral.id, { outcome: 'Lost', reason: 'Budget' });
    expect(lost.body).toMatchObject({
      status: 'Closed',
      substatus: 'Lost',
      statusReason: 'Budget',
    });
  });

  test('a deal registration is added to the referral', async () => {
    const referral = await created();
    const answer = await gateway.act('registerDeal', referral.id, {
      registrationType: 'AzureIpCoSell',
      contractTerm: '36 months',
      pricingModel: 'Subscription',
      primaryDeployment: 'Azure',
    });
    expect(answer.status).toBe(200);
    expect(held(referral.id).registrations).toEqual([
      {
        registrationType: 'AzureIpCoSell',
        contractTerm: '36 months',
        pricingModel: 'Subscription',
        primaryDeployment: 'Azure',
      },
    ]);
  });
});

test('an id that is not a GUID, or a referral that does not exist, is refused before any write', async () => {
  const patch = [{ op: 'replace', path: '/details/notes', value: 'x' }];
  expect((await gateway.updateReferral('nope', patch)).status).toBe(400);
  const missing = await gateway.updateReferral(randomUUID(), patch);
  expect(missing.status).toBe(404);
  expect(errorOf(missing).code).toBe('referralNotFound');
  expect(patches()).toBe(0);
});

test('a change that would make the referral larger than the gateway keeps answers 413, sending nothing', async () => {
  const referral = await created();
  const answer = await gateway.updateReferral(referral.id, [
    { op: 'add', path: '/details/customerIntent', value: 'x'.repeat(250_000) },
  ]);
  expect(answer.status).toBe(413);
  expect(errorOf(answer).code).toBe('referralTooLarge');
  expect(patches()).toBe(0);
});

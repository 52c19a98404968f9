/**
 * After the create, end to end over real HTTP through the local host: the engagement as Partner
 * Center has it, updates with and without a stale ETag, closing, and answering the referrals
 * Microsoft sends (the sandbox sends them as Microsoft, through its admin API).
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  EngagementSchema,
  ErrorEnvelopeSchema,
  ReferralListAnswerSchema,
} from '../../shared/api/answer-schemas';
import { ReferralSchema, type Referral } from '../../shared/contract/schema';
import { entraToken } from '../support/entra-tokens';
import { microsoftSample, seedRequest } from '../support/seed';
import { startProduct, type HttpAnswer, type ProductFixture } from '../support/local-host';

jest.setTimeout(90000);

let product: ProductFixture;
/** A caller that reads everything and changes referrals: incoming ones are its to answer. */
let answersIncoming: Record<string, string>;

beforeAll(async () => {
  product = await startProduct();
  const token = await entraToken(product.local.identity, {
    roles: ['Referrals.Read.All', 'Referrals.Update'],
  });
  answersIncoming = { authorization: `Bearer ${token}` };
});

afterAll(async () => {
  await product?.stop();
});

const json = { 'content-type': 'application/json' };
const patchesUpstream = () => product.local.sandbox.requestsByMethod.PATCH ?? 0;

function expectShape(schema: z.ZodType, body: unknown): void {
  expect(schema.parse(body)).toEqual(body);
}

const errorCode = (answer: HttpAnswer) => (answer.body as { error: { code: string } }).error.code;

function patch(
  id: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return product.request('PATCH', `/api/referrals/${id}`, {
    body: JSON.stringify(body),
    headers: { ...json, ...headers },
  });
}

function act(
  id: string,
  action: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return product.request('POST', `/api/referrals/${id}/${action}`, {
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    headers: { ...(body === undefined ? {} : json), ...headers },
  });
}

async function sharedReferral(): Promise<{ partner: Referral; microsoft: Referral }> {
  const accepted = await product.request('POST', '/api/referrals', {
    body: JSON.stringify({ ...seedRequest(), externalReferenceId: `e2e-${randomUUID()}` }),
    headers: { ...json, 'idempotency-key': randomUUID(), prefer: 'wait=30' },
  });
  let answer = accepted;
  for (let i = 0; answer.status === 202 && i < 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = await product.request('GET', answer.headers.get('location') as string);
  }
  expect(answer.status).toBe(201);
  const outcome = answer.body as { partnerReferral: Referral; microsoftReferral: Referral };
  return { partner: outcome.partnerReferral, microsoft: outcome.microsoftReferral };
}

test('a shared referral: its engagement, a deal value update, a stale ETag, closed as Won', async () => {
  const { partner, microsoft } = await sharedReferral();
  const engagementId = partner.engagementId as string;

  const engagement = await product.request('GET', `/api/engagements/${engagementId}`);
  expect(engagement.status).toBe(200);
  expectShape(EngagementSchema, engagement.body);
  const entries = (engagement.body as z.infer<typeof EngagementSchema>).referrals;
  expect(entries.map((r) => [r.role, r.referralId]).sort()).toEqual(
    [
      ['microsoft', microsoft.id],
      ['partner', partner.id],
    ].sort(),
  );

  const listed = await product.request('GET', `/api/referrals?engagementId=${engagementId}`);
  expect(listed.status).toBe(200);
  expectShape(ReferralListAnswerSchema, listed.body);

  const read = await product.request('GET', `/api/referrals/${partner.id}`);
  const etag = (read.body as Referral).eTag as string;
  const updated = await patch(
    partner.id,
    microsoftSample('patch-deal-value-and-notes.request.json'),
    { 'if-match': etag },
  );
  expect(updated.status).toBe(200);
  expectShape(ReferralSchema, updated.body);
  expect((updated.body as Referral).details).toMatchObject({ dealValue: 10000 });
  expect(updated.headers.get('etag')).toBe((updated.body as Referral).eTag);

  const before = patchesUpstream();
  const stale = await patch(partner.id, [{ op: 'replace', path: '/details/dealValue', value: 1 }], {
    'if-match': etag,
  });
  expect(stale.status).toBe(412);
  expectShape(ErrorEnvelopeSchema, stale.body);
  expect(patchesUpstream()).toBe(before);

  const won = await act(partner.id, 'close', { outcome: 'Won' });
  expect(won.status).toBe(200);
  expect(won.body).toMatchObject({ status: 'Closed', substatus: 'Won' });
  expect(product.local.sandbox.referrals.get(partner.id)).toMatchObject({
    status: 'Closed',
    substatus: 'Won',
    details: expect.objectContaining({ dealValue: 10000 }),
  });
});

test('refused transitions and malformed patches answer 400 with the reason and reach nothing upstream', async () => {
  const { partner } = await sharedReferral();
  const before = patchesUpstream();
  const refused = await patch(partner.id, [{ op: 'replace', path: '/status', value: 'Closed' }]);
  expect(refused.status).toBe(400);
  expect(JSON.stringify(refused.body)).toMatch(/with 'Closed' use Won, Lost, Declined, Expired/);
  const malformed = await patch(partner.id, { op: 'replace', path: '/name', value: 'x' });
  expect(malformed.status).toBe(400);
  expect(errorCode(malformed)).toBe('invalidRequest');
  const removal = await patch(partner.id, [{ op: 'remove', path: '/details/notes' }]);
  expect(removal.status).toBe(400);
  expect(JSON.stringify(removal.body)).toMatch(/'add' or 'replace'/);
  expect(patchesUpstream()).toBe(before);
});

test('a retried add /team/- adds one member', async () => {
  const { partner } = await sharedReferral();
  const member = { firstName: 'Jane', lastName: 'Doe', email: `jane.${randomUUID()}@contoso.com` };
  const body = [{ op: 'add', path: '/team/-', value: member }];
  const key = { 'idempotency-key': randomUUID() };
  const answers = await Promise.all([patch(partner.id, body, key), patch(partner.id, body, key)]);
  const retried = await patch(partner.id, body, key);
  for (const answer of [...answers, retried]) expect([200, 409]).toContain(answer.status);
  expect(retried.status).toBe(200);
  const team = (product.local.sandbox.referrals.get(partner.id)?.team ?? []) as { email: string }[];
  expect(team.filter((m) => m.email === member.email)).toHaveLength(1);
});

test('Microsoft sends referrals: listed as incoming, one accepted, one declined', async () => {
  const send = async () => {
    const response = await product.local.fetch(
      `${product.local.sandbox.baseUrl}/_sandbox/incoming`,
      {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ type: 'Independent' }),
      },
    );
    expect(response.status).toBe(201);
    return ((await response.json()) as Referral).id;
  };
  const [one, two] = [await send(), await send()];
  await new Promise((resolve) => setTimeout(resolve, product.local.sandbox.listDelayMs + 100));

  const listed = await product.request(
    'GET',
    '/api/referrals?direction=Incoming&substatus=Pending&orderBy=createdDateTime%20desc',
    { headers: answersIncoming },
  );
  expect(listed.status).toBe(200);
  const ids = (listed.body as { value: Referral[] }).value.map((r) => r.id);
  expect(ids).toEqual(expect.arrayContaining([one, two]));

  // The integration's own caller reads what it created only: Microsoft's are not its to answer.
  expect((await act(one, 'accept')).status).toBe(404);

  const accepted = await act(one, 'accept', undefined, answersIncoming);
  expect(accepted.status).toBe(200);
  expect(accepted.body).toMatchObject({ status: 'Active', substatus: 'Accepted' });
  const declined = await act(two, 'decline', { reason: 'NotACustomer' }, answersIncoming);
  expect(declined.status).toBe(200);
  expect(declined.body).toMatchObject({ status: 'Closed', substatus: 'Declined' });

  const waiting = await product.request(
    'GET',
    '/api/referrals?direction=Incoming&substatus=Pending',
    {
      headers: answersIncoming,
    },
  );
  const still = (waiting.body as { value: Referral[] }).value.map((r) => r.id);
  expect(still).not.toContain(one);
  expect(still).not.toContain(two);
});

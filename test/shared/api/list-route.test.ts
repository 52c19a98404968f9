/**
 * Listing through the gateway: named filters become quoted OData, pages come back with an opaque
 * continuation, and following it returns every referral exactly once.
 */
import { randomUUID } from 'node:crypto';
import type { Referral } from '../../../shared/contract/schema';
import { errorOf, startLocalGateway, type Answer, type LocalGateway } from '../../support/gateway';
import { independentSeedRequest } from '../../support/seed';

let gateway: LocalGateway;

beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterAll(() => gateway.stop());
beforeEach(() => {
  gateway.local.sandbox.reset();
  gateway.local.sandbox.listDelayMs = 0;
});

const sandbox = () => gateway.local.sandbox;
type Page = { value: Referral[]; nextLink?: string };
const page = (answer: Answer) => answer.body as Page;

function sendIncoming(fields: Record<string, unknown> = {}): Referral {
  const sent = sandbox().sendIncoming(fields as never);
  if (!sent.ok) throw new Error('not sent');
  return sent.referral as unknown as Referral;
}

/** Every page, following nextLink's continuation with the same parameters. */
async function everyPage(query: Record<string, string>): Promise<Page[]> {
  const pages: Page[] = [];
  let continuation: string | undefined;
  do {
    const answer = await gateway.listReferrals({
      ...query,
      ...(continuation ? { continuation } : {}),
    });
    expect(answer.status).toBe(200);
    pages.push(page(answer));
    const next = page(answer).nextLink;
    continuation = next ? (new URL(next).searchParams.get('continuation') ?? undefined) : undefined;
    if (next) {
      const url = new URL(next);
      expect(`${url.origin}${url.pathname}`).toBe('https://gateway.local/api/referrals');
      for (const [name, value] of Object.entries(query)) {
        expect(url.searchParams.get(name)).toBe(value);
      }
    }
  } while (continuation);
  return pages;
}

test('a list over more than one page returns every visible referral exactly once', async () => {
  const sent = Array.from({ length: 230 }, () => sendIncoming().id);
  const pages = await everyPage({});
  expect(pages).toHaveLength(3);
  const listed = pages.flatMap((p) => p.value.map((r) => r.id));
  expect(listed).toHaveLength(sent.length);
  expect(new Set(listed)).toEqual(new Set(sent));
  // The gateway's links, never Partner Center's.
  expect(pages[0]?.value[0]?.links).toEqual({
    self: { uri: `https://gateway.local/api/referrals/${sent[0]}`, method: 'GET' },
  });
});

test('named filters are sent as OData; what Partner Center does not filter, the gateway does', async () => {
  const incoming = sendIncoming({ type: 'Independent' });
  sendIncoming({ type: 'Shared' });
  const mine = await gateway.createReferral(
    { ...independentSeedRequest(), externalReferenceId: 'CRM-42' },
    { 'idempotency-key': randomUUID() },
  );
  const ids = async (query: Record<string, string>) =>
    page(await gateway.listReferrals(query)).value.map((r) => r.id);
  expect(await ids({ direction: 'incoming', type: 'independent', substatus: 'pending' })).toEqual([
    incoming.id,
  ]);
  expect(await ids({ externalReferenceId: 'CRM-42' })).toEqual([(mine.body as Referral).id]);
  expect(await ids({ status: 'Closed' })).toEqual([]);
  expect(await ids({ updatedSince: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
});

test('a value cannot break out of its quotes: it is one value Partner Center compares', async () => {
  sendIncoming();
  const answer = await gateway.listReferrals({ teamEmail: "o'brien@contoso.com" });
  expect(answer.status).toBe(200);
  expect(page(answer).value).toEqual([]);
});

test.each([
  [{ $filter: "status eq 'New'" }, 'unknownParameter'],
  [{ status: 'Open' }, 'invalidValue'],
  [{ top: '-1' }, 'invalidValue'],
  [{ continuation: 'forged' }, 'invalidContinuation'],
])('%o answers 400 and asks Partner Center nothing', async (query, code) => {
  const answer = await gateway.listReferrals(query);
  expect(answer.status).toBe(400);
  expect(errorOf(answer).code).toBe('invalidRequest');
  expect(errorOf(answer).details).toContainEqual(expect.objectContaining({ code }));
  expect(sandbox().requestsByMethod.GET ?? 0).toBe(0);
});

test('a continuation is good for its own query only', async () => {
  for (let i = 0; i < 120; i++) sendIncoming();
  const first = page(await gateway.listReferrals({ direction: 'Incoming' }));
  const continuation = new URL(first.nextLink as string).searchParams.get('continuation') ?? '';
  const other = await gateway.listReferrals({ direction: 'Outgoing', continuation });
  expect(other.status).toBe(400);
  expect(errorOf(other).details).toContainEqual(
    expect.objectContaining({ code: 'invalidContinuation' }),
  );
});

describe('an engagement as Partner Center has it', () => {
  test('lists a referral Microsoft added next to those the gateway recorded', async () => {
    const partner = (
      await gateway.createReferral(independentSeedRequest(), { 'idempotency-key': randomUUID() })
    ).body as Referral;
    const engagementId = partner.engagementId as string;
    await gateway.services.engagements.recordStep({
      operationId: randomUUID(),
      role: 'partner',
      referral: partner,
      caller: 'anonymous',
    });
    const microsofts = sendIncoming({ engagementId });
    const answer = await gateway.getEngagement(engagementId);
    expect(answer.status).toBe(200);
    const engagement = answer.body as {
      recorded: boolean;
      referrals: { referralId: string; role?: string; createdThroughGateway: boolean }[];
    };
    expect(engagement.recorded).toBe(true);
    expect(engagement.referrals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          referralId: partner.id,
          role: 'partner',
          createdThroughGateway: true,
        }),
        expect.objectContaining({
          referralId: microsofts.id,
          createdThroughGateway: false,
          direction: 'Incoming',
        }),
      ]),
    );
  });

  test('Read.All reads an engagement the gateway never recorded; an unknown one is 404', async () => {
    const incoming = sendIncoming();
    const answer = await gateway.getEngagement(incoming.engagementId as string);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      recorded: false,
      referrals: [{ referralId: incoming.id, createdThroughGateway: false, status: 'New' }],
    });
    expect((await gateway.getEngagement(randomUUID())).status).toBe(404);
  });
});

/** The sandbox must behave like the documented service, or the gateway's tests prove nothing. */
import { randomUUID } from 'node:crypto';
import { independentSeedRequest, microsoftSample, seedRequest } from '../support/seed';
import { startLocalPartnerCenter, type LocalPartnerCenter } from '../../local/stand-ins';

let local: LocalPartnerCenter;
let token: string;

beforeAll(async () => {
  local = await startLocalPartnerCenter();
  token = await local.identity.signToken(
    { aud: 'https://api.partner.microsoft.com', scp: 'user_impersonation', oid: randomUUID() },
    3600,
  );
});
afterAll(() => local.stop());
beforeEach(() => local.sandbox.reset());

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await local.fetch(`${local.sandbox.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'client-request-id': randomUUID(),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}

const create = (body: unknown, headers: Record<string, string> = {}) =>
  call('POST', '/engagements/referrals', body, headers);

test('creates the seed referral like the documented response', async () => {
  const { status, body, headers } = await create(seedRequest());
  expect(status).toBe(201);
  expect(body).toMatchObject({
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    engagementId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    name: 'Test Cosell Invite_20',
    type: 'Shared',
    status: 'New',
    substatus: 'Pending',
    eTag: expect.stringMatching(/^".+"$/),
    externalReferenceId: null,
    links: {
      relatedReferrals: {
        method: 'GET',
        uri: expect.stringContaining(`engagementId eq '${body.engagementId}'`),
      },
      self: { method: 'GET', uri: expect.stringContaining(`/engagements/referrals/${body.id}`) },
    },
  });
  expect(headers.get('etag')).toBe(body.eTag);
  expect(headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

test('requires a valid App+User bearer token', async () => {
  const none = await local.fetch(`${local.sandbox.apiUrl}/engagements/referrals`, {
    headers: { 'client-request-id': randomUUID() },
  });
  expect(none.status).toBe(401);
  expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');

  const forged = `${token.slice(0, -4)}AAAA`;
  expect(
    (await call('GET', '/engagements/referrals', undefined, { authorization: `Bearer ${forged}` }))
      .status,
  ).toBe(401);

  const appOnly = await local.identity.signToken(
    { aud: 'https://api.partner.microsoft.com', roles: [] },
    3600,
  );
  const denied = await call('GET', '/engagements/referrals', undefined, {
    authorization: `Bearer ${appOnly}`,
  });
  expect(denied.status).toBe(403);
  expect(denied.body.error.code).toBe('accessDenied');
});

test('enforces the contract and the status pairs with the documented error envelope', async () => {
  const missing = await create({ name: 'x' });
  expect(missing.status).toBe(400);
  expect(missing.body.error).toMatchObject({ code: 'invalidRequest', target: 'type' });

  const pair = await create({ ...independentSeedRequest(), status: 'Active', substatus: 'Won' });
  expect(pair.status).toBe(400);
  expect(pair.body.error.message).toMatch(/substatus/);

  expect(local.sandbox.referrals.size).toBe(0);
});

test('takes the PascalCase the current published example mixes in, and answers camelCase', async () => {
  const { type: _type, ...rest } = independentSeedRequest();
  const created = await create({ ...rest, Type: 'independent' });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ type: 'Independent', direction: 'Outgoing' });
  expect(created.body.Type).toBeUndefined();
});

test('refuses a property when told to, as a service rejecting a field would', async () => {
  local.sandbox.refuse({ path: 'details.customerIntent', code: 'invalidInput' });
  const body = { ...independentSeedRequest() } as Record<string, Record<string, unknown>>;
  const refused = await create({ ...body, details: { ...body.details, customerIntent: 'buy' } });
  expect(refused.status).toBe(400);
  expect(refused.body.error).toMatchObject({
    code: 'invalidInput',
    target: 'details.customerIntent',
  });
  expect((await create(independentSeedRequest())).status).toBe(201);
});

test('lists with the documented filters only', async () => {
  const filtered = await call('GET', `/engagements/referrals?$filter=externalReferenceId eq 'x'`);
  expect(filtered.status).toBe(400);
  expect(filtered.body.error.message).toMatch(/Documented: engagementId, status/);
});

test('a referral that carries an engagementId joins that engagement; an unknown one is 404', async () => {
  const first = await create(seedRequest());
  const second = await create({
    ...seedRequest(),
    engagementId: first.body.engagementId,
    target: [{ type: 'BusinessProfileLocation', id: 'msft' }],
  });
  expect(second.status).toBe(201);
  expect(second.body.engagementId).toBe(first.body.engagementId);
  expect(second.body.id).not.toBe(first.body.id);
  const unknown = await create({ ...seedRequest(), engagementId: randomUUID() });
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('itemNotFound');
});

test('with request-id deduplication on (an option), a repeated request-id gets the first result', async () => {
  local.sandbox.deduplicateRequestIds = true;
  const requestId = randomUUID();
  const a = await create(seedRequest(), { 'request-id': requestId });
  const b = await create(seedRequest(), { 'request-id': requestId });
  expect(b.body).toEqual(a.body);
  expect(local.sandbox.referrals.size).toBe(1);
  expect(local.sandbox.createRequests).toBe(2);
});

test('gets by id and lists with $filter, $orderby and $top', async () => {
  local.sandbox.listDelayMs = 0;
  const a = await create(independentSeedRequest());
  const b = await create({ ...independentSeedRequest(), status: 'Active', substatus: 'Accepted' });
  // Answered as the published get-by-id example: the OData context, then the referral.
  expect((await call('GET', `/engagements/referrals/${a.body.id}`)).body).toEqual({
    '@odata.context': `${local.sandbox.apiUrl}/$metadata#Referrals/$entity`,
    ...a.body,
  });
  const absent = await call('GET', `/engagements/referrals/${randomUUID()}`);
  expect(absent.status).toBe(404);
  expect(absent.body.error.code).toBe('itemNotFound');

  const byStatus = await call(
    'GET',
    `/engagements/referrals?$filter=${encodeURIComponent("status eq 'Active' and substatus eq 'Accepted'")}`,
  );
  expect(byStatus.body.value.map((r: { id: string }) => r.id)).toEqual([b.body.id]);
  expect(byStatus.body['@odata.count']).toBe(1);
  const ordered = await call(
    'GET',
    `/engagements/referrals?$orderby=${encodeURIComponent('createdDateTime desc')}&$top=1`,
  );
  expect(ordered.body.value).toHaveLength(1);
  const bad = await call(
    'GET',
    `/engagements/referrals?$filter=${encodeURIComponent("name gt 'a'")}`,
  );
  expect(bad.status).toBe(400);
});

test('PUT needs the current If-Match and follows the status transitions', async () => {
  const { body: referral } = await create(independentSeedRequest());
  const { id, links: _links, ...rest } = referral;
  const path = `/engagements/referrals/${id}`;
  expect(
    (await call('PUT', path, { ...rest, status: 'Active', substatus: 'Accepted' })).status,
  ).toBe(400);
  expect(
    (
      await call(
        'PUT',
        path,
        { ...rest, status: 'Active', substatus: 'Accepted' },
        { 'if-match': '"stale"' },
      )
    ).status,
  ).toBe(412);
  const moved = await call(
    'PUT',
    path,
    { ...rest, status: 'Active', substatus: 'Accepted' },
    { 'if-match': referral.eTag },
  );
  expect(moved.status).toBe(200);
  expect(moved.body.eTag).not.toBe(referral.eTag);
  const back = await call(
    'PUT',
    path,
    { ...rest, status: 'New', substatus: 'Pending' },
    { 'if-match': moved.body.eTag },
  );
  expect(back.status).toBe(400);
  expect(back.body.error.message).toMatch(/cannot move from 'Active' to 'New'/);
});

test('PATCH takes replace and add operations only', async () => {
  const { body: referral } = await create(independentSeedRequest());
  const path = `/engagements/referrals/${referral.id}`;
  const patched = await call(
    'PATCH',
    path,
    [
      { op: 'replace', path: '/status', value: 'Closed' },
      { op: 'replace', path: '/substatus', value: 'Won' },
    ],
    { prefer: 'return=representation' },
  );
  expect(patched.status).toBe(200);
  expect(patched.body).toMatchObject({ status: 'Closed', substatus: 'Won' });
  expect((await call('PATCH', path, [{ op: 'remove', path: '/name' }])).status).toBe(400);
  expect(
    (await call('PATCH', path, [{ op: 'add', path: '/statusReason', value: 'Signed' }])).status,
  ).toBe(204);
});

test('faults are injected a chosen number of times, also over HTTP', async () => {
  const base = local.sandbox.baseUrl;
  const injected = await local.fetch(`${base}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      fault: { kind: 'status', status: 429, retryAfterSeconds: 3 },
      times: 2,
    }),
  });
  expect(injected.status).toBe(201);
  const first = await create(independentSeedRequest());
  const second = await create(independentSeedRequest());
  const third = await create(independentSeedRequest());
  expect([first.status, second.status, third.status]).toEqual([429, 429, 201]);
  expect(first.headers.get('retry-after')).toBe('3');

  const listing = (await (await local.fetch(`${base}/_sandbox/referrals`)).json()) as {
    count: number;
  };
  expect(listing.count).toBe(1);
  local.sandbox.injectFault({ fault: { kind: 'drop' }, times: 1 });
  await expect(create(independentSeedRequest())).rejects.toThrow();
});

test.each(['create-shared-2019.request.json', 'create-private-deal-current.reconstructed.json'])(
  'takes the published request %s as sent, answering like the published responses',
  async (file) => {
    const { status, body } = await create(microsoftSample(file));
    expect(status).toBe(201);
    expect(body).toMatchObject({
      id: expect.any(String),
      engagementId: expect.any(String),
      direction: 'Outgoing',
      eTag: expect.any(String),
      links: { self: { method: 'GET' } },
    });
    // The current example's PascalCase consent flags are stored under their camelCase names.
    expect(Object.keys(body.consent as object).every((k) => /^[a-z]/.test(k))).toBe(true);
  },
);

test('without request-id deduplication (what the docs promise), a repeated request id creates again', async () => {
  local.sandbox.deduplicateRequestIds = false;
  const requestId = randomUUID();
  const first = await create(independentSeedRequest(), { 'ms-requestid': requestId });
  const again = await create(independentSeedRequest(), { 'ms-requestid': requestId });
  expect(again.body.id).not.toBe(first.body.id);
  expect(local.sandbox.referrals.size).toBe(2);
});

test('a new referral shows in lists only after the list delay; a get by id sees it at once', async () => {
  local.sandbox.listDelayMs = 400;
  const { body } = await create(independentSeedRequest());
  expect((await call('GET', `/engagements/referrals/${body.id}`)).status).toBe(200);
  expect((await call('GET', '/engagements/referrals')).body.value).toHaveLength(0);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await call('GET', '/engagements/referrals')).body.value).toHaveLength(1);
});

test('lists in pages of 100, the rest behind @odata.nextLink', async () => {
  local.sandbox.listDelayMs = 0;
  for (let i = 0; i < 130; i++) await create(independentSeedRequest());
  const first = await call('GET', '/engagements/referrals?$orderby=createdDateTime%20desc');
  expect(first.body.value).toHaveLength(100);
  expect(first.body['@odata.count']).toBe(130);
  const next = new URL(first.body['@odata.nextLink'] as string);
  expect(next.searchParams.get('$orderby')).toBe('createdDateTime desc');
  const second = await call(
    'GET',
    `${next.pathname.replace(/^.*\/engagements/, '/engagements')}${next.search}`,
  );
  expect(second.body.value).toHaveLength(30);
  expect(second.body['@odata.nextLink']).toBeUndefined();
});

describe('updates, as "Update a referral" (2020) describes them', () => {
  const patchOf = (id: string, body: unknown, headers: Record<string, string> = {}) =>
    call('PATCH', `/engagements/referrals/${id}`, body, headers);

  test("Microsoft's published patches apply: the deal value sent as text is stored as a number, add /team/- appends", async () => {
    const { body: referral } = await create(independentSeedRequest());
    const representation = { prefer: 'return=representation' };
    const teamBefore = (referral.team ?? []).length;
    const first = await patchOf(
      referral.id,
      microsoftSample('patch-deal-value-and-add-team-member.request.json'),
      representation,
    );
    expect(first.status).toBe(200);
    expect(first.body.details.dealValue).toBe(10000);
    expect(first.body.team).toHaveLength(teamBefore + 1);
    expect(first.body.team.at(-1)).toMatchObject({ email: 'jane.doe@contoso.com' });
    const second = await patchOf(
      referral.id,
      microsoftSample('patch-deal-value-and-notes.request.json'),
    );
    expect(second.status).toBe(204);
    expect(second.body).toBeUndefined();
  });

  test('every write changes the ETag; a stale If-Match is 412 and changes nothing', async () => {
    const { body: referral } = await create(independentSeedRequest());
    const notes = (value: string) => [{ op: 'replace', path: '/details/notes', value }];
    const updated = await patchOf(referral.id, notes('one'), {
      'if-match': referral.eTag,
      prefer: 'return=representation',
    });
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe(updated.body.eTag);
    expect(updated.body.eTag).not.toBe(referral.eTag);
    const stale = await patchOf(referral.id, notes('two'), { 'if-match': referral.eTag });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('preconditionFailed');
    const now = await call('GET', `/engagements/referrals/${referral.id}`);
    expect(now.body.details.notes).toBe('one');
  });

  test('the status table holds for patches; service fields cannot be patched', async () => {
    const { body: referral } = await create(independentSeedRequest());
    const closed = await patchOf(referral.id, microsoftSample('patch-close-won.request.json'), {
      prefer: 'return=representation',
    });
    expect(closed.body).toMatchObject({ status: 'Closed', substatus: 'Won' });
    expect(closed.body.closedDateTime).toEqual(expect.any(String));
    const reopened = await patchOf(referral.id, [{ op: 'replace', path: '/status', value: 'New' }]);
    expect(reopened.status).toBe(400);
    expect(reopened.body.error.message).toMatch(/cannot move from 'Closed' to 'New'/);
    for (const path of ['/id', '/direction', '/createdDateTime', '/eTag']) {
      expect((await patchOf(referral.id, [{ op: 'replace', path, value: 'x' }])).status).toBe(400);
    }
  });
});

describe('incoming referrals, sent as Microsoft through the admin API', () => {
  const admin = async (path: string, body: unknown) => {
    const response = await local.fetch(`${local.sandbox.baseUrl}/_sandbox/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('arrive New/Pending, Incoming, from Microsoft, expiring in 14 days', async () => {
    const sent = await admin('incoming', { type: 'Independent' });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({
      direction: 'Incoming',
      status: 'New',
      substatus: 'Pending',
      type: 'Independent',
      organizationName: 'Microsoft',
    });
    const days =
      (Date.parse(sent.body.expirationDateTime as string) -
        Date.parse(sent.body.createdDateTime as string)) /
      86_400_000;
    expect(days).toBe(14);
    expect((await admin('incoming', { type: 'Nonsense' })).status).toBe(400);
  });

  test('unanswered for 14 days they are archived as Expired; an accepted one is not', async () => {
    const waiting = (await admin('incoming', {})).body;
    const accepted = (await admin('incoming', {})).body;
    expect(
      (
        await call('PATCH', `/engagements/referrals/${accepted.id as string}`, [
          { op: 'replace', path: '/status', value: 'Active' },
          { op: 'replace', path: '/substatus', value: 'Accepted' },
        ])
      ).status,
    ).toBe(204);
    expect((await admin('clock', { advanceMs: 13 * 86_400_000 })).status).toBe(200);
    expect((await call('GET', `/engagements/referrals/${waiting.id as string}`)).body.status).toBe(
      'New',
    );
    await admin('clock', { advanceMs: 86_400_000 });
    const expired = await call('GET', `/engagements/referrals/${waiting.id as string}`);
    expect(expired.body).toMatchObject({ status: 'Closed', substatus: 'Expired' });
    const kept = await call('GET', `/engagements/referrals/${accepted.id as string}`);
    expect(kept.body).toMatchObject({ status: 'Active', substatus: 'Accepted' });
  });

  test('the documented list filters: direction, type, substatus, updatedDateTime, team e-mail', async () => {
    local.sandbox.listDelayMs = 0;
    const incoming = (await admin('incoming', {})).body;
    const { body: outgoing } = await create(independentSeedRequest());
    await call('PATCH', `/engagements/referrals/${outgoing.id as string}`, [
      {
        op: 'add',
        path: '/team/-',
        value: { firstName: 'R', lastName: 'D', email: 'r2d2@contoso.com' },
      },
    ]);
    const ids = async (query: string) =>
      ((await call('GET', `/engagements/referrals?${query}`)).body.value as { id: string }[]).map(
        (r) => r.id,
      );
    // The 2020 page's sample requests, as written there.
    expect(
      await ids(
        "$top=10&$filter=(type eq 'Shared' and direction eq 'Incoming')&$orderby=createdDateTime desc",
      ),
    ).toEqual([incoming.id]);
    expect(
      await ids(
        "$top=10&$filter=(direction eq 'Incoming' and substatus eq 'Pending')&$orderby=createdDateTime desc",
      ),
    ).toEqual([incoming.id]);
    expect(await ids("$filter=team/any(t:t/email eq 'r2d2@contoso.com')")).toEqual([outgoing.id]);
    const since = new Date(Date.now() - 60_000).toISOString();
    expect((await ids(`$filter=updatedDateTime ge ${since}`)).sort()).toEqual(
      [incoming.id, outgoing.id].sort(),
    );
    expect(
      await ids(`$filter=updatedDateTime ge ${new Date(Date.now() + 60_000).toISOString()}`),
    ).toEqual([]);
    expect(await ids('$orderby=updatedDateTime desc')).toEqual([outgoing.id, incoming.id]);
    const unknown = await call(
      'GET',
      "/engagements/referrals?$filter=name eq 'x' or status eq 'New'",
    );
    expect(unknown.status).toBe(400);
  });
});

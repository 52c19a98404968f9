/**
 * Who may read what: `Referrals.Read` reads the referrals, operations and engagements its caller
 * created; `Referrals.Read.All` reads everything, and only it sees who created a record. Another
 * caller's record answers exactly as a record that does not exist.
 */
import { randomUUID } from 'node:crypto';
import { EngagementStore } from '../../../shared/adapters/storage/engagement-store';
import type { Referral } from '../../../shared/contract/schema';
import { startLocalPartnerCenter, type LocalPartnerCenter } from '../../../local/stand-ins';
import { entraToken, gatewayAuthSettings } from '../../support/entra-tokens';
import { gatewayOn, type Answer, type LocalGateway } from '../../support/gateway';
import { independentSeedRequest, seedRequest } from '../../support/seed';
import { tableNamed } from '../../support/tables';

let local: LocalPartnerCenter;
let gateway: LocalGateway;
const creator = { oid: randomUUID(), clientAppId: randomUUID(), name: 'CRM sync' };
const tokens: Record<
  'creator' | 'otherReader' | 'readsAll' | 'updater' | 'otherUpdater' | 'updatesAll',
  string
> = {
  creator: '',
  otherReader: '',
  readsAll: '',
  updater: '',
  otherUpdater: '',
  updatesAll: '',
};

beforeAll(async () => {
  local = await startLocalPartnerCenter();
  gateway = gatewayOn(local, gatewayAuthSettings(local.identity));
  tokens.creator = await entraToken(local.identity, {
    ...creator,
    roles: ['Referrals.Create', 'Referrals.Read'],
  });
  tokens.otherReader = await entraToken(local.identity, { roles: ['Referrals.Read'] });
  tokens.readsAll = await entraToken(local.identity, { roles: ['Referrals.Read.All'] });
  tokens.updater = await entraToken(local.identity, {
    roles: ['Referrals.Create', 'Referrals.Read', 'Referrals.Update'],
  });
  tokens.otherUpdater = await entraToken(local.identity, {
    roles: ['Referrals.Read', 'Referrals.Update'],
  });
  tokens.updatesAll = await entraToken(local.identity, {
    roles: ['Referrals.Read.All', 'Referrals.Update'],
  });
});
afterAll(() => local.stop());

const as = (who: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[who]}` });
const code = (answer: Answer) => (answer.body as { error?: { code: string } }).error?.code;

async function createdBy(who: keyof typeof tokens, key?: string): Promise<Referral> {
  const answer = await gateway.createReferral(independentSeedRequest(), {
    ...as(who),
    ...(key ? { 'idempotency-key': key } : {}),
  });
  expect(answer.status).toBe(201);
  return answer.body as Referral;
}

describe('a referral', () => {
  test('is read back by its creator at once, while the writes after its answer still run', async () => {
    const slow = gatewayOn(local, gatewayAuthSettings(local.identity));
    // Recording the creator (after the answer) takes a while: a slow storage round trip.
    class SlowToRecordOwner extends EngagementStore {
      override async recordOwner(...args: Parameters<EngagementStore['recordOwner']>) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return super.recordOwner(...args);
      }
    }
    slow.services.engagements = new SlowToRecordOwner(
      tableNamed(slow.services.settings.ENGAGEMENT_TABLE),
    );
    const created = await slow.createReferral(independentSeedRequest(), {
      ...as('creator'),
      'idempotency-key': randomUUID(),
    });
    expect(created.status).toBe(201);
    expect(slow.services.afterAnswer.size).toBe(1);

    const read = await slow.getReferral((created.body as Referral).id, as('creator'));

    expect(read.status).toBe(200);
    expect(slow.services.afterAnswer.size).toBe(0);
  });

  test.each([
    ['without an idempotency key', undefined],
    ['with one', randomUUID()],
  ])(
    'created %s is read by its creator and by Read.All, not by another reader',
    async (_n, key) => {
      const referral = await createdBy('creator', key);
      const before = local.sandbox.createRequests;

      expect((await gateway.getReferral(referral.id, as('creator'))).status).toBe(200);
      expect((await gateway.getReferral(referral.id, as('readsAll'))).status).toBe(200);
      const other = await gateway.getReferral(referral.id, as('otherReader'));
      expect(other.status).toBe(404);
      expect(code(other)).toBe('referralNotFound');
      // The same answer as for an id that exists nowhere.
      const nowhere = await gateway.getReferral(randomUUID(), as('otherReader'));
      expect(other.body).toEqual(nowhere.body);
      expect(local.sandbox.createRequests).toBe(before);
    },
  );

  test('one Partner Center holds that the gateway did not create is for Read.All only', async () => {
    const { sandbox } = local;
    const incoming = await local.fetch(`${sandbox.apiUrl}/engagements/referrals`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await local.identity.signToken({ aud: 'https://api.partner.microsoft.com', scp: 'user_impersonation', oid: randomUUID() }, 600)}`,
        'content-type': 'application/json',
        'client-request-id': randomUUID(),
      },
      body: JSON.stringify(independentSeedRequest()),
    });
    const id = ((await incoming.json()) as Referral).id;
    expect((await gateway.getReferral(id, as('creator'))).status).toBe(404);
    expect((await gateway.getReferral(id, as('readsAll'))).status).toBe(200);
  });
});

describe('an operation and its engagement', () => {
  test('are the creator’s and Read.All’s; the creator’s identity is shown to Read.All only', async () => {
    const accepted = await gateway.createReferral(seedRequest(), {
      ...as('creator'),
      'idempotency-key': randomUUID(),
    });
    const { operationId } = accepted.body as { operationId: string };
    expect((await gateway.getOperation(operationId, as('creator'))).status).toBe(202);
    expect((await gateway.getOperation(operationId, as('readsAll'))).status).toBe(202);
    expect((await gateway.getOperation(operationId, as('otherReader'))).status).toBe(404);

    const partner = await createdBy('creator');
    const engagementId = partner.engagementId as string;
    await gateway.services.engagements.recordStep({
      operationId,
      role: 'partner',
      referral: partner,
      caller: creator.oid,
      callerAppId: creator.clientAppId,
      callerName: creator.name,
    });

    const own = await gateway.getEngagement(engagementId, as('creator'));
    expect(own.status).toBe(200);
    expect(own.body).not.toHaveProperty('caller');
    expect(JSON.stringify(own.body)).not.toContain(creator.name);
    const all = await gateway.getEngagement(engagementId, as('readsAll'));
    expect(all.body).toMatchObject({
      caller: creator.oid,
      callerAppId: creator.clientAppId,
      callerName: creator.name,
    });
    const other = await gateway.getEngagement(engagementId, as('otherReader'));
    expect(other.status).toBe(404);
    expect(code(other)).toBe('engagementNotFound');
  });
});

test('Read.All may read but not create', async () => {
  const answer = await gateway.createReferral(independentSeedRequest(), as('readsAll'));
  expect(answer.status).toBe(403);
});

describe('a create being followed', () => {
  test("is followed by the caller that sent it only; another caller's poll answers 404", async () => {
    const key = randomUUID();
    await createdBy('creator', key);
    const token = (await gateway.services.idempotency.get(creator.oid, key))?.token ?? '';
    const location = `/api/referrals/requests/${token}`;
    const otherCreator = await entraToken(local.identity, { roles: ['Referrals.Create'] });

    expect((await gateway.followCreate(location, as('creator'))).status).toBe(201);
    const other = await gateway.followCreate(location, {
      authorization: `Bearer ${otherCreator}`,
    });
    expect(other.status).toBe(404);
    expect(code(other)).toBe('createRequestNotFound');
    const unknown = await gateway.followCreate(
      `/api/referrals/requests/${'a'.repeat(64)}`,
      as('creator'),
    );
    expect(code(unknown)).toBe('createRequestNotFound');
  });
});

describe('lists and changes follow the same model', () => {
  test('a list shows Referrals.Read its own referrals only, Read.All every one', async () => {
    local.sandbox.listDelayMs = 0;
    const own = await createdBy('updater');
    const others = await createdBy('creator');
    const incoming = local.sandbox.sendIncoming();
    if (!incoming.ok) throw new Error('not sent');
    const ids = async (who: keyof typeof tokens) =>
      (
        (await gateway.listReferrals({ top: '1000' }, as(who))).body as { value: Referral[] }
      ).value.map((r) => r.id);
    const mine = await ids('updater');
    expect(mine).toContain(own.id);
    expect(mine).not.toContain(others.id);
    expect(mine).not.toContain(incoming.referral.id);
    expect(await ids('readsAll')).toEqual(
      expect.arrayContaining([own.id, others.id, incoming.referral.id]),
    );
  });

  test("Referrals.Update changes what its caller reads: another's referral is not found", async () => {
    const referral = await createdBy('updater');
    const patch = [{ op: 'replace', path: '/details/notes', value: 'changed' }];
    const patchesBefore = local.sandbox.requestsByMethod.PATCH ?? 0;
    const other = await gateway.updateReferral(referral.id, patch, as('otherUpdater'));
    expect(other.status).toBe(404);
    expect(code(other)).toBe('referralNotFound');
    expect(local.sandbox.requestsByMethod.PATCH ?? 0).toBe(patchesBefore);
    expect((await gateway.updateReferral(referral.id, patch, as('updater'))).status).toBe(200);
    expect((await gateway.updateReferral(referral.id, patch, as('updatesAll'))).status).toBe(200);
  });

  test('reading is not changing: without Referrals.Update the answer is 403', async () => {
    const referral = await createdBy('creator');
    const answer = await gateway.act('close', referral.id, { outcome: 'Won' }, as('readsAll'));
    expect(answer.status).toBe(403);
    expect(answer.headers['www-authenticate']).toContain('scope="Referrals.Update"');
  });

  test('an incoming referral is accepted by a caller that reads everything', async () => {
    const incoming = local.sandbox.sendIncoming();
    if (!incoming.ok) throw new Error('not sent');
    const id = incoming.referral.id;
    expect((await gateway.act('accept', id, undefined, as('updater'))).status).toBe(404);
    expect((await gateway.act('accept', id, undefined, as('updatesAll'))).status).toBe(200);
  });
});

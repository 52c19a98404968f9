/** Reading back what exists: a referral, an engagement, as Partner Center has them now. */
import { attemptLogger } from '../adapters/partner-center/attempt-log';
import type { PartnerCenterClient } from '../adapters/partner-center/client';
import type { EngagementStore } from '../adapters/storage/engagement-store';
import { mayRead, type Viewer } from '../contract/caller';
import type { Engagement } from '../contract/engagement';
import { errorBody, Failure } from '../contract/errors';
import { isGuid } from '../contract/guid';
import type { Referral, Target } from '../contract/schema';
import type { Logger } from '../logging';

export interface ReadDeps {
  partnerCenter: Pick<PartnerCenterClient, 'getReferral'>;
  engagements: Pick<EngagementStore, 'getEngagement' | 'ownerOf'>;
  log: Logger;
  correlationId: string;
  /** Who reads: `Referrals.Read` sees what it created, `Referrals.Read.All` everything. */
  viewer: Viewer;
  /** Waits for this instance's writes still running for the referral (its creator reads it back). */
  settled?: (referralId: string) => Promise<void>;
}

const referralNotFound = () =>
  new Failure(
    'notFound',
    errorBody('referralNotFound', 'Partner Center has no referral with this id.', 'id'),
  );

/** An id in the path that is not a GUID (every id of Partner Center and the gateway is one). */
export function notAGuid(code: string, target: string, what: string): Failure {
  return new Failure(
    'invalidRequest',
    errorBody(code, `The ${what} must be a GUID.`, target, [
      {
        path: target,
        code: 'invalidFormat',
        message: 'must be a GUID, e.g. 0d8d6bd6-8c5c-4a5e-9a3a-3d2f3f2e8b1c',
      },
    ]),
  );
}

export async function readReferral(deps: ReadDeps, id: string): Promise<Referral> {
  if (!isGuid(id)) throw notAGuid('invalidReferralId', 'id', 'referral id');
  await deps.settled?.(id);
  // Another caller's referral is answered as no referral at all: its existence is not told.
  if (!deps.viewer.seesAll && !mayRead(deps.viewer, (await deps.engagements.ownerOf(id))?.caller)) {
    throw referralNotFound();
  }
  const referral = await deps.partnerCenter.getReferral(id, {
    correlationId: deps.correlationId,
    onAttempt: attemptLogger(deps.log),
  });
  if (!referral) throw referralNotFound();
  return referral;
}

const engagementNotFound = () =>
  new Failure(
    'notFound',
    errorBody(
      'engagementNotFound',
      'There is no engagement with this id that you may read.',
      'engagementId',
    ),
  );

/**
 * An engagement as Partner Center has it (every referral on it, those Microsoft added included),
 * merged with what the gateway recorded (the operation, each of its referrals' role and creator).
 * `Referrals.Read` reads the engagements its caller created; `Referrals.Read.All` any.
 */
export async function readEngagement(
  deps: ReadDeps & { partnerCenter: Pick<PartnerCenterClient, 'listReferralPages'> },
  engagementId: string,
): Promise<Engagement> {
  if (!isGuid(engagementId)) throw notAGuid('invalidEngagementId', 'engagementId', 'engagement id');
  const recorded = await deps.engagements.getEngagement(engagementId);
  const mine = recorded && mayRead(deps.viewer, recorded.caller) ? recorded : undefined;
  if (!mine && !deps.viewer.seesAll) throw engagementNotFound();
  const call = { correlationId: deps.correlationId, onAttempt: attemptLogger(deps.log) };
  const listed = new Map<string, Referral>();
  for await (const page of deps.partnerCenter.listReferralPages({ engagementId }, call)) {
    for (const referral of page) listed.set(referral.id, referral);
  }
  // Lists lag behind creates: a referral recorded but not listed yet is read by its id.
  const unlisted = (mine?.referrals ?? []).filter((r) => !listed.has(r.referralId));
  const read = await Promise.all(
    unlisted.map((r) => deps.partnerCenter.getReferral(r.referralId, call)),
  );
  for (const referral of read) if (referral) listed.set(referral.id, referral);
  if (!mine && listed.size === 0) throw engagementNotFound();

  const roles = new Map((mine?.referrals ?? []).map((r) => [r.referralId, r]));
  const ids = [...new Set([...roles.keys(), ...listed.keys()])];
  const owners = await Promise.all(ids.map((id) => deps.engagements.ownerOf(id)));
  const referrals = ids.map((id, i) => {
    const entry = roles.get(id);
    const referral = listed.get(id);
    const owner = owners[i]?.caller ?? (entry ? mine?.caller : undefined);
    const target = entry?.target ?? targetOf(referral);
    return {
      referralId: id,
      ...(entry ? { role: entry.role, createdAt: entry.createdAt } : {}),
      createdThroughGateway: owner !== undefined,
      ...(deps.viewer.seesAll && owner ? { createdBy: owner } : {}),
      ...(target ? { target } : {}),
      status: referral?.status ?? 'notFound',
      ...(referral?.substatus ? { substatus: referral.substatus } : {}),
      ...(referral?.direction ? { direction: referral.direction } : {}),
      ...(referral ? { referral } : {}),
    };
  });
  // Who created it is shown to those who see everything only.
  const shown = mine
    ? deps.viewer.seesAll
      ? mine
      : (({ caller: _c, callerAppId: _a, callerName: _n, ...rest }) => rest)(mine)
    : { engagementId };
  return { ...shown, recorded: mine !== undefined, referrals };
}

function targetOf(referral: Referral | undefined): Target | undefined {
  const first = referral?.target?.[0];
  return first?.type && first.id ? { type: first.type, id: first.id } : undefined;
}

/** Reading back what exists: one referral from Partner Center, an engagement from our mappings. */
import { attemptLogger } from '../adapters/partner-center/attempt-log';
import type { PartnerCenterClient } from '../adapters/partner-center/client';
import type { EngagementStore } from '../adapters/storage/engagement-store';
import { mayRead, type Viewer } from '../contract/caller';
import type { EngagementMapping } from '../contract/engagement';
import { errorBody, Failure } from '../contract/errors';
import { isGuid } from '../contract/guid';
import type { Referral } from '../contract/schema';
import type { Logger } from '../logging';

export interface ReadDeps {
  partnerCenter: Pick<PartnerCenterClient, 'getReferral'>;
  engagements: Pick<EngagementStore, 'getEngagement' | 'ownerOf'>;
  log: Logger;
  correlationId: string;
  /** Who reads: `Referrals.Read` sees what it created, `Referrals.Read.All` everything. */
  viewer: Viewer;
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

/**
 * The engagement as recorded when its referrals were created; with `refresh`, each referral's
 * current status and substatus read from Partner Center.
 */
export async function readEngagement(
  deps: ReadDeps,
  engagementId: string,
  refresh: boolean,
): Promise<EngagementMapping> {
  if (!isGuid(engagementId)) throw notAGuid('invalidEngagementId', 'engagementId', 'engagement id');
  const recorded = await deps.engagements.getEngagement(engagementId);
  const mapping = recorded && mayRead(deps.viewer, recorded.caller) ? recorded : undefined;
  if (!mapping) {
    throw new Failure(
      'notFound',
      errorBody(
        'engagementNotFound',
        'No engagement with this id was recorded by this gateway.',
        'engagementId',
      ),
    );
  }
  // Who created it is shown to those who see everything only.
  const shown: EngagementMapping = deps.viewer.seesAll
    ? mapping
    : (({ caller: _c, callerAppId: _a, callerName: _n, ...rest }) => rest)(mapping);
  if (!refresh) return shown;
  const referrals = await Promise.all(
    mapping.referrals.map(async (entry) => {
      const current = await deps.partnerCenter.getReferral(entry.referralId, {
        correlationId: deps.correlationId,
        onAttempt: attemptLogger(deps.log),
      });
      return current
        ? {
            ...entry,
            ...(current.status ? { status: current.status } : {}),
            ...(current.substatus ? { substatus: current.substatus } : {}),
          }
        : { ...entry, status: 'notFound' };
    }),
  );
  return { ...shown, referrals };
}

/**
 * Partner Center Referrals API client on the built-in `fetch`. The headers follow the Partner
 * Center REST headers pages: every attempt carries a fresh `client-request-id` and a fresh
 * `MS-CorrelationId` ("reset for every call"); one logical operation keeps one `MS-RequestId`
 * (also sent as the older pages' `request-id`) across all its retries, as the docs ask of a retry
 * after a timeout.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { ReferralQuery } from '../../contract/referral-query';
import type { Referral, ReferralCreateRequest, ReferralList } from '../../contract/schema';
import { PartnerCenterError, partnerCenterFailure, type AttemptFailure } from './errors';
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  parseRetryAfterMs,
  type RetryPolicy,
} from './retry';

/** Where App+User access tokens come from. */
export interface AccessTokenSource {
  getAccessToken(): Promise<string>;
  /** The token was refused (401): forget it so the next call gets a new one. */
  invalidate(): void;
}

/** One attempt, for logs and metrics. Carries no body, token or contact data. */
export interface AttemptEvent {
  operation: string;
  method: string;
  attempt: number;
  requestId: string;
  clientRequestId: string;
  /** The attempt's `MS-CorrelationId`, which Partner Center support can trace. */
  msCorrelationId: string;
  /** The gateway request this attempt serves, so logs tie each client-request-id to it. */
  correlationId?: string;
  status?: number;
  outcome: 'success' | 'retry' | 'failure';
  reason?: string;
  durationMs: number;
  delayMs?: number;
}

export interface PartnerCenterClientOptions {
  /** e.g. https://api.partner.microsoft.com/v1.0 */
  baseUrl: string;
  tokens: AccessTokenSource;
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  onAttempt?: (event: AttemptEvent) => void;
}

export interface CallOptions {
  /** The logical operation's id, reused on retries and on a later re-send of the same create. */
  requestId?: string;
  /** Overrides the policy's overall deadline for this call. */
  deadlineMs?: number;
  /** The caller's correlation id, carried into every attempt event. */
  correlationId?: string;
  /** Attempt events for this call only (in addition to the client's own listener). */
  onAttempt?: (event: AttemptEvent) => void;
  /**
   * The call must not be repeated once its outcome is unknown (a create: Partner Center does not
   * promise to deduplicate a repeated request id). Only attempts that certainly did nothing are
   * retried (429, a refused token, a connection never made); the caller resolves the rest.
   */
  notRepeatable?: boolean;
  /** Headers of this call (If-Match, Prefer). */
  headers?: Record<string, string>;
}

/** Network errors that mean the request never reached the service. */
const NOT_SENT =
  /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|CERT_|UNABLE_TO_VERIFY|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_CERT)/;

/**
 * What Partner Center filters itself: the documented `$filter` properties (the query's other
 * fields are the gateway's to apply), `$orderby` and `$top`.
 */
export type ReferralFilter = Omit<ReferralQuery, 'externalReferenceId'>;

/** One page of a list, and the service's skip token for the next one. */
export interface ReferralPage {
  referrals: Referral[];
  skipToken?: string;
}

/** OData string literal: single quotes doubled. */
const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The filter as OData query parameters, every value quoted (or checked, for the date-time). */
function odataQuery(filter: ReferralFilter): URLSearchParams {
  const clauses: string[] = [];
  const equals = (property: string, value: string | undefined) => {
    if (value !== undefined) clauses.push(`${property} eq ${odataString(value)}`);
  };
  equals('engagementId', filter.engagementId);
  equals('status', filter.status);
  equals('substatus', filter.substatus);
  equals('qualification', filter.qualification);
  equals('direction', filter.direction);
  equals('type', filter.type);
  equals('customerProfile/address/country', filter.country);
  if (filter.updatedSince !== undefined) {
    // A date-time literal is not quoted in OData; only a strict UTC form may go in unquoted.
    const since = new Date(filter.updatedSince);
    if (Number.isNaN(since.getTime())) throw new Error('updatedSince must be a date-time');
    clauses.push(`updatedDateTime ge ${since.toISOString()}`);
  }
  if (filter.teamEmail !== undefined) {
    clauses.push(`team/any(t:t/email eq ${odataString(filter.teamEmail)})`);
  }
  const query = new URLSearchParams();
  if (clauses.length > 0) query.set('$filter', clauses.join(' and '));
  if (filter.orderBy) query.set('$orderby', filter.orderBy);
  if (filter.top !== undefined) query.set('$top', String(filter.top));
  return query;
}

/** Headers of an update: the ETag it is conditional on, and asking for the updated referral. */
export interface UpdateOptions extends CallOptions {
  ifMatch: string;
}

export class PartnerCenterClient {
  private readonly baseUrl: string;
  private readonly policy: RetryPolicy;
  private readonly fetchImpl: typeof fetch;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: PartnerCenterClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.fetchImpl = options.fetch ?? fetch;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? sleepFor;
    this.now = options.now ?? (() => Date.now());
  }

  /** Creates a referral; a re-send of one logical create carries the same `requestId`. */
  async createReferral(
    referral: ReferralCreateRequest,
    options: CallOptions = {},
  ): Promise<{ referral: Referral; requestId: string }> {
    const requestId = options.requestId ?? randomUUID();
    const { body } = await this.send<Referral>(
      'create a referral',
      'POST',
      '/engagements/referrals',
      { ...options, requestId, notRepeatable: true },
      referral,
    );
    return { referral: body, requestId };
  }

  /** The referral with this id, or undefined when Partner Center has none. */
  async getReferral(id: string, options: CallOptions = {}): Promise<Referral | undefined> {
    try {
      const { body } = await this.send<Referral>(
        'read a referral',
        'GET',
        `/engagements/referrals/${encodeURIComponent(id)}`,
        options,
      );
      return withoutAnnotations(body);
    } catch (error) {
      if (error instanceof PartnerCenterError && error.failure.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Applies a JSON Patch, conditional on `ifMatch` (the ETag read). Because it is conditional it
   * may be repeated after an unknown outcome: a second application answers 412, never changes
   * the referral twice. The updated referral, or undefined when the service answered 204.
   */
  async updateReferral(
    id: string,
    operations: readonly unknown[],
    options: UpdateOptions,
  ): Promise<Referral | undefined> {
    const { body, status } = await this.send<Referral>(
      'update a referral',
      'PATCH',
      `/engagements/referrals/${encodeURIComponent(id)}`,
      {
        ...options,
        headers: { 'if-match': options.ifMatch, prefer: 'return=representation' },
      },
      operations,
    );
    return status === 204 || body === undefined ? undefined : withoutAnnotations(body);
  }

  /** The first page of a list. */
  async listReferrals(filter: ReferralFilter, options: CallOptions = {}): Promise<Referral[]> {
    return (await this.listReferralPage(filter, undefined, options)).referrals;
  }

  /**
   * One page of a list: from the start, or from the skip token of the page before. The next
   * link's address is never fetched as given: only its `$skiptoken` is kept, sent again to
   * Partner Center's own base URL with the same query, so the token cannot go anywhere else.
   */
  async listReferralPage(
    filter: ReferralFilter,
    skipToken: string | undefined,
    options: CallOptions = {},
  ): Promise<ReferralPage> {
    const query = odataQuery(filter);
    if (skipToken !== undefined) query.set('$skiptoken', skipToken);
    const path = `/engagements/referrals${query.size > 0 ? `?${query.toString()}` : ''}`;
    const { body } = await this.send<ReferralList>('list referrals', 'GET', path, options);
    const next = body['@odata.nextLink'];
    const nextToken = next
      ? new URL(next, `${this.baseUrl}/`).searchParams.get('$skiptoken')
      : null;
    if (next && !nextToken) {
      throw new Error('Partner Center gave a next link without a $skiptoken');
    }
    return {
      referrals: body.value.map(withoutAnnotations),
      ...(nextToken ? { skipToken: nextToken } : {}),
    };
  }

  /** Every page of a list, one after the other (pages of up to 100). */
  async *listReferralPages(
    filter: ReferralFilter,
    options: CallOptions = {},
  ): AsyncGenerator<Referral[]> {
    let skipToken: string | undefined;
    do {
      const page = await this.listReferralPage(filter, skipToken, options);
      yield page.referrals;
      skipToken = page.skipToken;
    } while (skipToken !== undefined);
  }

  private async send<T>(
    operation: string,
    method: string,
    path: string,
    options: CallOptions,
    payload?: unknown,
  ): Promise<{ body: T; status: number }> {
    const requestId = options.requestId ?? randomUUID();
    const started = this.now();
    const deadline = started + (options.deadlineMs ?? this.policy.deadlineMs);
    const serialized = payload === undefined ? undefined : JSON.stringify(payload);
    let refreshedToken = false;
    let failure: AttemptFailure = { kind: 'timeout', requestId };

    for (let attempt = 1; attempt <= this.policy.maxAttempts; attempt++) {
      const remaining = deadline - this.now();
      if (remaining <= 0) break;
      const clientRequestId = randomUUID();
      const msCorrelationId = randomUUID();
      const attemptStarted = this.now();
      const report = (
        event: Omit<
          AttemptEvent,
          | 'operation'
          | 'method'
          | 'attempt'
          | 'requestId'
          | 'clientRequestId'
          | 'msCorrelationId'
          | 'durationMs'
        >,
      ) => {
        const full: AttemptEvent = {
          operation,
          method,
          attempt,
          requestId,
          clientRequestId,
          msCorrelationId,
          ...(options.correlationId ? { correlationId: options.correlationId } : {}),
          durationMs: this.now() - attemptStarted,
          ...event,
        };
        this.options.onAttempt?.(full);
        options.onAttempt?.(full);
      };

      const token = await this.options.tokens.getAccessToken();
      let response: Response;
      try {
        response = await this.fetchImpl(`${this.baseUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            'client-request-id': clientRequestId,
            'ms-correlationid': msCorrelationId,
            'ms-requestid': requestId,
            'request-id': requestId,
            ...(serialized === undefined ? {} : { 'content-type': 'application/json' }),
            ...options.headers,
          },
          body: serialized,
          signal: AbortSignal.timeout(Math.min(this.policy.attemptTimeoutMs, remaining)),
        });
      } catch (error) {
        // Duck-typed: the abort error may come from another realm (a DOMException).
        const name = (error as { name?: unknown }).name;
        const timedOut = name === 'TimeoutError' || name === 'AbortError';
        const reason = timedOut ? 'timeout' : networkReason(error);
        failure = timedOut
          ? { kind: 'timeout', requestId }
          : { kind: 'network', requestId, reason };
        const delayMs = backoffDelayMs(attempt, this.policy, this.random);
        const mayHaveArrived = timedOut || !NOT_SENT.test(reason);
        if (
          !this.canWait(attempt, delayMs, deadline) ||
          (options.notRepeatable && mayHaveArrived)
        ) {
          report({ outcome: 'failure', reason });
          break;
        }
        report({ outcome: 'retry', reason, delayMs });
        await this.sleep(delayMs);
        continue;
      }

      const text = await response.text();
      const body = parseJson(text) ?? (text.trim() === '' ? undefined : text);
      if (response.ok) {
        report({ outcome: 'success', status: response.status });
        return { body: body as T, status: response.status };
      }

      const upstreamRequestId =
        response.headers.get('ms-requestid') ?? response.headers.get('request-id') ?? requestId;
      const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), this.now());
      failure = {
        kind: 'response',
        status: response.status,
        body,
        requestId: upstreamRequestId,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };

      if (response.status === 401 && !refreshedToken) {
        // The token may have been revoked or rotated early: one retry with a fresh one.
        refreshedToken = true;
        this.options.tokens.invalidate();
        report({ outcome: 'retry', status: 401, reason: 'token refused', delayMs: 0 });
        continue;
      }
      // A 408 or 5xx may come after the service acted: not repeated when that matters.
      const doneNothing = response.status === 429;
      if (!isRetryableStatus(response.status) || (options.notRepeatable && !doneNothing)) {
        report({ outcome: 'failure', status: response.status });
        break;
      }
      const delayMs = Math.max(
        retryAfterMs ?? 0,
        backoffDelayMs(attempt, this.policy, this.random),
      );
      if (
        !this.canWait(attempt, delayMs, deadline) ||
        (retryAfterMs ?? 0) > this.policy.maxDelayMs
      ) {
        report({ outcome: 'failure', status: response.status });
        break;
      }
      report({ outcome: 'retry', status: response.status, delayMs });
      await this.sleep(delayMs);
    }
    throw new PartnerCenterError(partnerCenterFailure(failure, operation));
  }

  private canWait(attempt: number, delayMs: number, deadline: number): boolean {
    return attempt < this.policy.maxAttempts && this.now() + delayMs < deadline;
  }
}

/** The resource without OData annotations (`@odata.context`): they describe the upstream call. */
function withoutAnnotations<T extends object>(resource: T): T {
  return Object.fromEntries(
    Object.entries(resource).filter(([key]) => !key.startsWith('@odata.')),
  ) as T;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? message : 'network error';
}

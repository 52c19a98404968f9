/**
 * A local Partner Center Referrals API over HTTPS that behaves like the documented service:
 * create, get, list (the documented `$filter` forms, `$orderby`, `$top`, pages behind
 * `@odata.nextLink`), PUT with `If-Match`, JSON-Patch PATCH (conditional on `If-Match` when sent,
 * 204 unless `Prefer: return=representation`, the status table), incoming referrals sent on
 * Microsoft's behalf (admin API) that expire unanswered after 14 days on a clock tests can move.
 * It checks bearer tokens signed by the local identity provider (App+User only), checks requests
 * by its own reading of the documentation (`partner-center-rules.ts`, never the gateway's
 * contract), answers like the published responses and in Partner Center's error envelope, joins a
 * referral that carries an `engagementId` to that engagement, and answers a repeated request id
 * with the first result instead of creating again. Faults, and refusals of a given property, can
 * be injected per test or over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import {
  ANSWER_WITHIN_MS,
  camelCased,
  checkCreate,
  checkMove,
  isObject as isPlainObject,
  ORDERABLE,
  parseFilter,
  SERVICE_SET,
  valueAt,
  type Json,
  type JsonObject,
  type RuleViolation,
} from './partner-center-rules';
import { readBody, sendJson, startHttpsServer, type RunningServer } from './http';
import { SandboxWebhooks } from './partner-center-webhooks';
import { selfSignedCertificate } from './tls';

/** One problem in a Partner Center error's `details`. */
export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
}

export type Fault =
  | {
      kind: 'status';
      status: number;
      retryAfterSeconds?: number;
      code?: string;
      message?: string;
      /** The problems the error lists (a refusal of many fields at once). */
      details?: ErrorDetail[];
    }
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number };

export interface FaultRule {
  fault: Fault;
  /** How many matching requests it hits. */
  times: number;
  /** For a time instead (or as well): the rule ends this many ms after it was set. */
  forMs?: number;
  /** When the rule ends (epoch ms; set from `forMs`). */
  until?: number;
  /** Only requests with this method (default: any). */
  method?: string;
  /** Let this many matching requests through first (e.g. fail only the second create). */
  skip?: number;
  /** Before the request is handled (default) or after it was handled but before answering. */
  when?: 'before' | 'after';
  /** Hit a matching request only with this chance (0..1), e.g. 0.05 for a flaky service. */
  probability?: number;
}

/** Told to refuse creates that carry a property, as a service that rejects a field would. */
export interface Refusal {
  /** Dotted path in the request, e.g. `details.customerIntent` or `team[0].title`. */
  path: string;
  code?: string;
  message?: string;
}

/** One change of a referral: when, what, by whom, and the status it left. */
export interface HistoryEntry {
  at: string;
  change: 'created' | 'updated' | 'expired';
  by: 'partner' | 'microsoft' | 'partnerCenter';
  status: string;
  substatus: string | null;
}

/** A referral as the sandbox holds it: the service's fields, and whatever else was sent. */
export type SandboxReferral = JsonObject & {
  id: string;
  engagementId: string;
  status: string;
  createdDateTime: string;
  eTag: string;
};

export interface SandboxIdentity {
  issuer: string;
  audience: string;
  jwks: JSONWebKeySet;
}

export interface SandboxOptions {
  identity: SandboxIdentity;
  organizationId?: string;
  organizationName?: string;
  /** Simulated upstream latency for every API request. */
  latencyMs?: number;
  /**
   * Answer a repeated request id with the first result instead of creating again (default off:
   * the docs ask for the same id on a retry but never promise this).
   */
  deduplicateRequestIds?: boolean;
  /**
   * How long a new referral takes to show in lists (read-after-write delay; the docs give none;
   * default 500 ms). A get by id sees it at once.
   */
  listDelayMs?: number;
  port?: number;
  /** The wait after a failed event delivery, doubling (default 1 s). */
  webhookRetryMs?: number;
  /**
   * Keep the referrals here between runs (a JSON file), so a restarted sandbox still holds what
   * the gateway's persisted tables point at. Absent: in memory only.
   */
  stateFile?: string;
}

/** What a sandbox keeps between runs. */
interface SandboxState {
  referrals: SandboxReferral[];
  answersByRequestId: [string, StoredAnswer][];
}

interface StoredAnswer {
  status: number;
  body: unknown;
}

const API = '/v1.0/engagements/referrals';
/** The audience of Partner Center's API (webhook registration), not the Referrals API's. */
export const WEBHOOK_AUDIENCE = 'https://api.partnercenter.microsoft.com';

const LIST_PAGE_SIZE = 100;
/**
 * The worst the docs allow, by default: no request-id deduplication (never promised) and a new
 * referral showing in lists only after a while (no bound is documented; the local product's
 * settings assume one second, PARTNER_CENTER_LIST_DELAY_MS).
 */
const DEFAULT_LIST_DELAY_MS = 500;

function pcError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  details?: ErrorDetail[],
) {
  const error = { code, message, target: 'referral', ...(details ? { details } : {}) };
  sendJson(res, status, { error }, headers);
}

export class PartnerCenterSandbox {
  readonly referrals = new Map<string, SandboxReferral>();
  /** Properties the sandbox refuses on create (see `refuse`). */
  private refusals: Refusal[] = [];
  /** Every POST that reached the create handler, deduplicated or not. */
  createRequests = 0;
  /** The request id of every POST that reached the create handler, in order. */
  createRequestIds: string[] = [];
  /** API requests that reached the sandbox (faults included), by method. */
  requestsByMethod: Record<string, number> = {};
  /** Faults applied so far, by kind. */
  faultsApplied: Record<string, number> = {};
  latencyMs: number;
  /** Webhook registration, signed events and their deliveries. */
  readonly webhooks: SandboxWebhooks;
  deduplicateRequestIds: boolean;
  listDelayMs: number;
  /** What happened to each referral, and by whom, for the console. */
  readonly history = new Map<string, HistoryEntry[]>();
  /** How far the sandbox's clock is ahead of real time (see `advanceClock`). */
  private clockOffsetMs = 0;
  /** When each referral shows in lists (after `listDelayMs`). */
  private readonly listedFrom = new Map<string, number>();
  /** Incoming referrals sent as Microsoft, the only ones that can expire (checked per request). */
  private readonly incoming = new Set<string>();
  /** Every engagement a referral is on (a create naming one must find it). */
  private readonly engagements = new Set<string>();
  certificate = '';
  private faults: FaultRule[] = [];
  private readonly answersByRequestId = new Map<string, StoredAnswer>();
  private readonly jwks: ReturnType<typeof createLocalJWKSet>;
  private running: RunningServer | undefined;
  private saving: NodeJS.Timeout | undefined;

  constructor(private readonly options: SandboxOptions) {
    this.jwks = createLocalJWKSet(options.identity.jwks);
    this.latencyMs = options.latencyMs ?? 0;
    this.deduplicateRequestIds = options.deduplicateRequestIds ?? false;
    this.listDelayMs = options.listDelayMs ?? DEFAULT_LIST_DELAY_MS;
    this.webhooks = new SandboxWebhooks(
      options.webhookRetryMs !== undefined ? { retryMs: options.webhookRetryMs } : {},
    );
  }

  async start(): Promise<this> {
    const tls = await selfSignedCertificate('local-partner-center-sandbox');
    this.certificate = tls.cert;
    this.running = await startHttpsServer(
      tls,
      async (req, res, url) => {
        await this.handle(req, res, url);
        if (req.method !== 'GET') this.changed();
      },
      this.options.port,
    );
    await this.webhooks.start(this.baseUrl);
    this.load();
    return this;
  }

  async stop(): Promise<void> {
    this.webhooks.stop();
    await this.running?.close();
    this.running = undefined;
    this.save();
  }

  /** Reads the kept state, its links pointing at this run's address. */
  private load(): void {
    const file = this.options.stateFile;
    if (!file || !existsSync(file)) return;
    const state = JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
    for (const referral of state.referrals) {
      this.keep({ ...referral, links: this.links(referral.id, referral.engagementId) });
    }
    for (const [requestId, answer] of state.answersByRequestId) {
      this.answersByRequestId.set(requestId, answer);
    }
  }

  /**
   * A new referral, with the indexes that keep every request's cost independent of how many
   * referrals the sandbox holds (the bench creates tens of thousands).
   */
  private keep(referral: SandboxReferral): void {
    this.referrals.set(referral.id, referral);
    this.engagements.add(referral.engagementId);
    if (referral.direction === 'Incoming' && referral.status === 'New')
      this.incoming.add(referral.id);
  }

  /** Something may have changed: write the state soon (once for a burst of changes). */
  private changed(): void {
    if (!this.options.stateFile || this.saving) return;
    this.saving = setTimeout(() => this.save(), 100);
  }

  private save(): void {
    clearTimeout(this.saving);
    this.saving = undefined;
    const file = this.options.stateFile;
    if (!file) return;
    const state: SandboxState = {
      referrals: [...this.referrals.values()],
      answersByRequestId: [...this.answersByRequestId.entries()],
    };
    // Written aside, then renamed: a crash mid-write never leaves half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify(state));
    renameSync(`${file}.tmp`, file);
  }

  get baseUrl(): string {
    if (!this.running) throw new Error('sandbox not started');
    return this.running.baseUrl;
  }

  /** What the gateway is configured with as the Partner Center API base. */
  get apiUrl(): string {
    return `${this.baseUrl}/v1.0`;
  }

  injectFault(rule: FaultRule): void {
    this.faults.push({
      ...rule,
      ...(rule.forMs !== undefined ? { until: Date.now() + rule.forMs } : {}),
    });
  }

  /** The fault rules still in force. */
  activeFaults(): FaultRule[] {
    const now = Date.now();
    return this.faults.filter((r) => r.times > 0 && (r.until === undefined || r.until > now));
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** From now on, a create carrying this property is refused with a 400 naming it. */
  refuse(refusal: Refusal): void {
    this.refusals.push({ ...refusal });
  }

  clearRefusals(): void {
    this.refusals = [];
  }

  reset(): void {
    this.deduplicateRequestIds = this.options.deduplicateRequestIds ?? false;
    this.listDelayMs = this.options.listDelayMs ?? DEFAULT_LIST_DELAY_MS;
    this.referrals.clear();
    this.history.clear();
    this.answersByRequestId.clear();
    this.listedFrom.clear();
    this.incoming.clear();
    this.engagements.clear();
    this.createRequests = 0;
    this.createRequestIds = [];
    this.requestsByMethod = {};
    this.clockOffsetMs = 0;
    this.webhooks.reset();
    this.clearFaults();
    this.clearRefusals();
    this.changed();
  }

  private takeFault(method: string, when: 'before' | 'after'): Fault | undefined {
    const now = Date.now();
    const rule = this.faults.find(
      (r) =>
        r.times > 0 &&
        (r.until === undefined || r.until > now) &&
        (r.when ?? 'before') === when &&
        (!r.method || r.method === method) &&
        (r.probability === undefined || Math.random() < r.probability),
    );
    if (!rule) return undefined;
    if ((rule.skip ?? 0) > 0) {
      rule.skip = (rule.skip ?? 0) - 1;
      return undefined;
    }
    rule.times -= 1;
    const kind = rule.fault.kind === 'status' ? String(rule.fault.status) : rule.fault.kind;
    this.faultsApplied[`${kind}-${when}`] = (this.faultsApplied[`${kind}-${when}`] ?? 0) + 1;
    return rule.fault;
  }

  /** Applies a fault; true when the request was answered (or dropped) by it. */
  private async applyFault(fault: Fault | undefined, res: ServerResponse): Promise<boolean> {
    if (!fault) return false;
    if (fault.kind === 'delay') {
      await new Promise((resolve) => setTimeout(resolve, fault.ms).unref());
      return false;
    }
    if (fault.kind === 'drop') {
      res.socket?.destroy();
      return true;
    }
    const headers: Record<string, string> =
      fault.retryAfterSeconds !== undefined
        ? { 'retry-after': String(fault.retryAfterSeconds) }
        : {};
    const code = fault.code ?? (fault.status === 429 ? 'tooManyRequests' : 'serviceNotAvailable');
    const message = fault.message ?? `Injected fault: ${fault.status}`;
    pcError(res, fault.status, code, message, headers, fault.details);
    return true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/_sandbox/')) return this.control(req, res, url);
    if (url.pathname.startsWith('/_certs/'))
      return this.webhooks.serveCertificate(url.pathname, res);
    if (url.pathname.startsWith('/webhooks/')) {
      // Partner Center's own API (webhooks): another host in Azure, another token audience.
      const refused = await this.authenticate(req, WEBHOOK_AUDIENCE);
      if (refused) return pcError(res, refused.status, refused.code, refused.message);
      return this.webhooks.handleApi(req, res, url);
    }
    if (url.pathname !== API && !url.pathname.startsWith(`${API}/`)) {
      return pcError(res, 404, 'itemNotFound', `No route for ${url.pathname}`);
    }
    this.requestsByMethod[method] = (this.requestsByMethod[method] ?? 0) + 1;
    if (this.latencyMs > 0)
      await new Promise((resolve) => setTimeout(resolve, this.latencyMs).unref());
    if (await this.applyFault(this.takeFault(method, 'before'), res)) return;

    // The current headers page's MS-RequestId, else the older page's request-id.
    const requestId =
      req.headers['ms-requestid']?.toString() ??
      req.headers['request-id']?.toString() ??
      randomUUID();
    const headers = {
      'request-id': requestId,
      'ms-requestid': requestId,
      'ms-correlationid': req.headers['ms-correlationid']?.toString() ?? randomUUID(),
      'client-request-id': req.headers['client-request-id']?.toString() ?? '',
    };
    const authError = await this.authenticate(req);
    if (authError)
      return pcError(res, authError.status, authError.code, authError.message, headers);
    if (!req.headers['client-request-id']) {
      return pcError(
        res,
        400,
        'invalidRequest',
        'The client-request-id header is required.',
        headers,
      );
    }

    this.expireUnanswered();
    const id = decodeURIComponent(url.pathname.slice(API.length + 1));
    let answer: StoredAnswer;
    if (method === 'POST' && url.pathname === API)
      answer = await this.create(req, headers['request-id']);
    else if (method === 'GET' && url.pathname === API) answer = this.list(url);
    else if (method === 'GET') answer = this.get(id);
    else if (method === 'PUT') answer = await this.replace(req, id);
    else if (method === 'PATCH') answer = await this.patch(req, id);
    else answer = errorAnswer(405, 'invalidRequest', `Method ${method} is not allowed here.`);

    if (await this.applyFault(this.takeFault(method, 'after'), res)) return;
    const etag: Record<string, string> =
      isPlainObject(answer.body) && typeof answer.body.eTag === 'string'
        ? { etag: answer.body.eTag }
        : {};
    sendJson(res, answer.status, answer.body, { ...headers, ...etag });
  }

  private async authenticate(
    req: IncomingMessage,
    audience = this.options.identity.audience,
  ): Promise<{ status: number; code: string; message: string } | undefined> {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (!match?.[1])
      return { status: 401, code: 'unauthenticated', message: 'A bearer token is required.' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1], this.jwks, {
        issuer: this.options.identity.issuer,
        audience,
        algorithms: ['RS256'],
      }));
    } catch {
      return { status: 401, code: 'unauthenticated', message: 'The bearer token is not valid.' };
    }
    if (typeof payload.scp !== 'string' || !payload.scp.split(' ').includes('user_impersonation')) {
      return {
        status: 403,
        code: 'accessDenied',
        message: 'App-only tokens are not accepted; use App+User credentials.',
      };
    }
    return undefined;
  }

  private async json(
    req: IncomingMessage,
  ): Promise<{ ok: true; value: unknown } | { ok: false; answer: StoredAnswer }> {
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return {
        ok: false,
        answer: errorAnswer(415, 'invalidRequest', 'Content-Type must be application/json.'),
      };
    }
    try {
      return { ok: true, value: JSON.parse(await readBody(req)) as unknown };
    } catch {
      return {
        ok: false,
        answer: errorAnswer(400, 'invalidRequest', 'The request body is not valid JSON.'),
      };
    }
  }

  /** A create checked by the sandbox's reading of the documentation, and any refusals set. */
  private validate(
    body: unknown,
  ): { ok: true; value: JsonObject } | { ok: false; answer: StoredAnswer } {
    const checked = checkCreate(body);
    if (!checked.ok) return { ok: false, answer: invalid(checked.problems) };
    const refused = this.refusals.find((r) => valueAt(checked.referral, r.path) !== undefined);
    if (refused) {
      return {
        ok: false,
        answer: errorAnswer(
          400,
          refused.code ?? 'invalidRequest',
          refused.message ?? `The property '${refused.path}' is not supported.`,
          refused.path,
        ),
      };
    }
    return { ok: true, value: checked.referral };
  }

  private async create(req: IncomingMessage, requestId: string): Promise<StoredAnswer> {
    this.createRequests += 1;
    this.createRequestIds.push(requestId);
    const earlier = this.deduplicateRequestIds ? this.answersByRequestId.get(requestId) : undefined;
    if (earlier) return earlier;
    const body = await this.json(req);
    if (!body.ok) return body.answer;
    const valid = this.validate(body.value);
    if (!valid.ok) return valid.answer;
    const request = valid.value;

    if (request.engagementId !== undefined && request.engagementId !== null) {
      if (!this.engagements.has(String(request.engagementId))) {
        return errorAnswer(
          404,
          'itemNotFound',
          `Engagement '${request.engagementId}' was not found.`,
        );
      }
    }
    const id = randomUUID();
    const engagementId =
      typeof request.engagementId === 'string' ? request.engagementId : randomUUID();
    const now = this.now().toISOString();
    const status = typeof request.status === 'string' ? request.status : 'New';
    // Answered like the published responses: the service's fields around what was sent.
    const referral: SandboxReferral = {
      ...request,
      id,
      engagementId,
      organizationId: this.options.organizationId ?? '7d23e5ca-19dc-4eaa-aac8-5e6b559f0d1d',
      organizationName: this.options.organizationName ?? 'Contoso Partner (sandbox)',
      externalReferenceId: request.externalReferenceId ?? null,
      createdDateTime: now,
      updatedDateTime: now,
      expirationDateTime: null,
      acceptedDateTime: null,
      closedDateTime: null,
      status,
      substatus: request.substatus ?? (status === 'New' ? 'Pending' : null),
      statusReason: request.statusReason ?? null,
      direction: 'Outgoing',
      eTag: newEtag(),
      links: this.links(id, engagementId),
    };
    this.keep(referral);
    this.listedFrom.set(id, Date.now() + this.listDelayMs);
    this.webhooks.emit('referral-created', id, now);
    this.record(referral, 'created', 'partner');
    const answer = { status: 201, body: referral };
    this.answersByRequestId.set(requestId, answer);
    return answer;
  }

  private links(id: string, engagementId: string): JsonObject {
    return {
      relatedReferrals: {
        uri: `${this.apiUrl}/engagements/referrals?$filter=engagementId eq '${engagementId}'`,
        method: 'GET',
      },
      self: { uri: `${this.apiUrl}/engagements/referrals/${id}`, method: 'GET' },
    };
  }

  private get(id: string): StoredAnswer {
    const referral = this.referrals.get(id);
    return referral
      ? {
          status: 200,
          body: { '@odata.context': `${this.apiUrl}/$metadata#Referrals/$entity`, ...referral },
        }
      : errorAnswer(404, 'itemNotFound', `Referral '${id}' was not found.`);
  }

  private list(url: URL): StoredAnswer {
    const now = Date.now();
    let items = [...this.referrals.values()].filter((r) => (this.listedFrom.get(r.id) ?? 0) <= now);
    const filter = url.searchParams.get('$filter');
    if (filter) {
      const parsed = parseFilter(filter);
      if (!parsed.ok) return errorAnswer(400, 'invalidRequest', parsed.message);
      items = items.filter(parsed.matches);
    }
    const orderBy = url.searchParams.get('$orderby');
    if (orderBy) {
      const m = new RegExp(`^(${ORDERABLE.join('|')})(\\s+(asc|desc))?$`, 'i').exec(orderBy.trim());
      const property = ORDERABLE.find((p) => p.toLowerCase() === m?.[1]?.toLowerCase());
      if (!m || !property)
        return errorAnswer(400, 'invalidRequest', `Unsupported $orderby: ${orderBy}`);
      const direction = m[3]?.toLowerCase() === 'desc' ? -1 : 1;
      // Ties keep the order the referrals were created in, so pages never overlap.
      items.sort((a, b) => direction * String(a[property]).localeCompare(String(b[property])));
    }
    const top = url.searchParams.get('$top');
    if (top !== null) items = items.slice(0, Math.max(0, Number(top) || 0));
    // Pages of up to 100, the rest behind @odata.nextLink (an opaque skip token).
    const skip = Number(url.searchParams.get('$skiptoken') ?? '0') || 0;
    const page = items.slice(skip, skip + LIST_PAGE_SIZE);
    const next = new URL(`${this.apiUrl}/engagements/referrals`);
    for (const [name, value] of url.searchParams) {
      if (name !== '$skiptoken') next.searchParams.set(name, value);
    }
    next.searchParams.set('$skiptoken', String(skip + LIST_PAGE_SIZE));
    return {
      status: 200,
      body: {
        '@odata.context': `${this.apiUrl}/$metadata#Referrals`,
        '@odata.count': items.length,
        value: page,
        ...(skip + LIST_PAGE_SIZE < items.length ? { '@odata.nextLink': next.href } : {}),
      },
    };
  }

  private async replace(req: IncomingMessage, id: string): Promise<StoredAnswer> {
    const existing = this.referrals.get(id);
    if (!existing) return errorAnswer(404, 'itemNotFound', `Referral '${id}' was not found.`);
    const ifMatch = req.headers['if-match'];
    if (!ifMatch) return errorAnswer(400, 'invalidRequest', 'The If-Match header is required.');
    if (ifMatch !== existing.eTag)
      return errorAnswer(412, 'preconditionFailed', 'The referral was modified; get it again.');
    const body = await this.json(req);
    if (!body.ok) return body.answer;
    if (!isPlainObject(body.value))
      return errorAnswer(400, 'invalidRequest', 'The body must be a referral.');
    // PUT carries the full referral as read (nulls included); what the service sets is kept.
    const rest = Object.fromEntries(
      Object.entries(camelCased(body.value as Json) as JsonObject).filter(
        ([key, value]) => value !== null && key !== 'engagementId' && !SERVICE_SET.includes(key),
      ),
    );
    const valid = this.validate(rest);
    if (!valid.ok) return valid.answer;
    return this.update(existing, { ...existing, ...valid.value });
  }

  private async patch(req: IncomingMessage, id: string): Promise<StoredAnswer> {
    const existing = this.referrals.get(id);
    if (!existing) return errorAnswer(404, 'itemNotFound', `Referral '${id}' was not found.`);
    const ifMatch = req.headers['if-match'];
    if (ifMatch && ifMatch !== existing.eTag)
      return errorAnswer(412, 'preconditionFailed', 'The referral was modified; get it again.');
    const body = await this.json(req);
    if (!body.ok) return body.answer;
    if (!Array.isArray(body.value))
      return errorAnswer(400, 'invalidRequest', 'The body must be a JSON Patch array.');
    const next = structuredClone(existing) as JsonObject;
    for (const op of body.value as unknown[]) {
      const refused = applyOperation(next, op);
      if (refused) return errorAnswer(400, 'invalidRequest', refused);
    }
    const moved = checkMove(
      existing.status,
      typeof next.status === 'string' ? next.status : existing.status,
      next.substatus,
    );
    if (moved) return invalid([moved]);
    // The result must still be a referral the service would take (service fields aside).
    const checked = checkCreate(
      Object.fromEntries(
        Object.entries(next).filter(
          ([key, value]) => value !== null && key !== 'engagementId' && !SERVICE_SET.includes(key),
        ),
      ),
    );
    if (!checked.ok) return invalid(checked.problems);
    const answer = this.update(existing, { ...next, ...checked.referral });
    if (answer.status === 200 && !/return=representation/i.test(String(req.headers.prefer ?? ''))) {
      return { status: 204, body: undefined };
    }
    return answer;
  }

  private update(
    existing: SandboxReferral,
    next: JsonObject,
    by: HistoryEntry['by'] = 'partner',
  ): StoredAnswer {
    const to = typeof next.status === 'string' ? next.status : existing.status;
    const refused = checkMove(existing.status, to, next.substatus);
    if (refused) return invalid([refused]);
    const now = this.now().toISOString();
    const updated: SandboxReferral = {
      ...next,
      status: to,
      createdDateTime: existing.createdDateTime,
      id: existing.id,
      engagementId: existing.engagementId,
      direction: existing.direction ?? null,
      eTag: newEtag(),
      updatedDateTime: now,
      links: existing.links ?? null,
    };
    if (to === 'Active' && existing.status !== 'Active') updated.acceptedDateTime = now;
    if (to === 'Closed' && existing.status !== 'Closed') updated.closedDateTime = now;
    this.referrals.set(existing.id, updated);
    this.announceUpdate(updated);
    this.record(updated, 'updated', by);
    return { status: 200, body: updated };
  }

  /** The sandbox's clock: real time, moved forward by `advanceClock` (expiry tests). */
  now(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  /** Moves the sandbox's clock forward, e.g. past the 14 days an incoming referral waits. */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
    this.expireUnanswered();
  }

  /**
   * Incoming referrals not answered in time are archived as Expired ("If you don't respond to a
   * lead or opportunity within the allotted time (currently 14 days), we'll archive it").
   */
  private expireUnanswered(): void {
    const now = this.now().getTime();
    // Only Microsoft's referrals: walking every referral on every request would make the
    // sandbox slower the more it holds, and skew any measurement taken after many creates.
    for (const id of this.incoming) {
      const referral = this.referrals.get(id);
      if (!referral || referral.status !== 'New') {
        this.incoming.delete(id);
        continue;
      }
      const expires = Date.parse(String(referral.expirationDateTime));
      if (!(expires <= now)) continue;
      const expired: SandboxReferral = {
        ...referral,
        status: 'Closed',
        substatus: 'Expired',
        closedDateTime: new Date(expires).toISOString(),
        updatedDateTime: new Date(expires).toISOString(),
        eTag: newEtag(),
      };
      this.referrals.set(referral.id, expired);
      this.announceUpdate(expired);
      this.record(expired, 'expired', 'partnerCenter');
    }
  }

  /**
   * A change of a referral, announced: Microsoft's referral on an engagement where the partner
   * has one of its own is a related referral to the partner.
   */
  private announceUpdate(referral: SandboxReferral): void {
    this.webhooks.emit(
      this.isRelated(referral) ? 'related-referral-updated' : 'referral-updated',
      referral.id,
      referral.updatedDateTime as string,
    );
  }

  private isRelated(referral: SandboxReferral): boolean {
    return (
      referral.organizationId === 'msft' &&
      [...this.referrals.values()].some(
        (r) =>
          r.id !== referral.id &&
          r.engagementId === referral.engagementId &&
          r.organizationId !== 'msft',
      )
    );
  }

  /**
   * A referral sent to the partner (direction Incoming), as Microsoft would send one: a lead or a
   * co-sell opportunity waiting to be accepted or declined within 14 days. `fields` override the
   * example's (customer, details, type, qualification, an existing engagementId...).
   */
  sendIncoming(
    fields: JsonObject = {},
  ): { ok: true; referral: SandboxReferral } | { ok: false; problems: RuleViolation[] } {
    const request = camelCased({ ...incomingExample(), ...fields }) as JsonObject;
    const engagementId =
      typeof request.engagementId === 'string' ? request.engagementId : randomUUID();
    delete request.engagementId;
    const checked = checkCreate(request);
    if (!checked.ok) return { ok: false, problems: checked.problems };
    const id = randomUUID();
    const now = this.now();
    const referral: SandboxReferral = {
      ...checked.referral,
      id,
      engagementId,
      organizationId: 'msft',
      organizationName: 'Microsoft',
      externalReferenceId: null,
      createdDateTime: now.toISOString(),
      updatedDateTime: now.toISOString(),
      expirationDateTime: new Date(now.getTime() + ANSWER_WITHIN_MS).toISOString(),
      acceptedDateTime: null,
      closedDateTime: null,
      status: 'New',
      substatus: 'Pending',
      statusReason: null,
      direction: 'Incoming',
      eTag: newEtag(),
      links: this.links(id, engagementId),
    };
    this.keep(referral);
    this.listedFrom.set(id, Date.now() + this.listDelayMs);
    this.webhooks.emit(
      this.isRelated(referral) ? 'related-referral-created' : 'referral-created',
      id,
      referral.createdDateTime,
    );
    this.record(referral, 'created', 'microsoft');
    this.changed();
    return { ok: true, referral };
  }

  /**
   * What Microsoft does on its side: accepts, declines or closes a referral (the partner's shared
   * one, or one it sent), by the same status table, announced like any change.
   */
  actAsMicrosoft(
    id: string,
    action: 'accept' | 'decline' | 'close',
    body: JsonObject = {},
  ): StoredAnswer {
    this.expireUnanswered();
    const existing = this.referrals.get(id);
    if (!existing) return errorAnswer(404, 'itemNotFound', `Referral '${id}' was not found.`);
    const reason = typeof body.reason === 'string' ? { statusReason: body.reason } : {};
    const outcome = body.outcome === 'Lost' ? 'Lost' : 'Won';
    const change: JsonObject =
      action === 'accept'
        ? { status: 'Active', substatus: 'Accepted' }
        : action === 'decline'
          ? { status: 'Closed', substatus: 'Declined', ...reason }
          : { status: 'Closed', substatus: outcome, ...reason };
    return this.update(existing, { ...existing, ...change }, 'microsoft');
  }

  private record(
    referral: SandboxReferral,
    change: HistoryEntry['change'],
    by: HistoryEntry['by'],
  ): void {
    const entries = this.history.get(referral.id) ?? [];
    entries.push({
      at: String(referral.updatedDateTime ?? referral.createdDateTime),
      change,
      by,
      status: referral.status,
      substatus: typeof referral.substatus === 'string' ? referral.substatus : null,
    });
    this.history.set(referral.id, entries);
  }

  /** Sandbox-only control surface: no auth, never part of the real API. */
  private async control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /_sandbox/referrals') {
      const value = [...this.referrals.values()];
      return sendJson(res, 200, { count: value.length, value });
    }
    const one = /^GET \/_sandbox\/referrals\/([\w-]+)$/.exec(route);
    if (one?.[1]) {
      const referral = this.referrals.get(one[1]);
      if (!referral)
        return sendJson(res, 404, { error: { code: 'itemNotFound', message: 'No such referral' } });
      const events = this.webhooks.deliveries
        .filter((d) => String(d.event.ResourceUri).endsWith(`/${referral.id}`))
        .map((d) => ({
          event: d.event.EventName,
          state: d.state,
          attempts: d.attempts,
          lastStatus: d.lastStatus ?? null,
        }));
      return sendJson(res, 200, { referral, history: this.history.get(referral.id) ?? [], events });
    }
    if (route === 'GET /_sandbox/faults') return sendJson(res, 200, { value: this.activeFaults() });
    if (route === 'DELETE /_sandbox/referrals') {
      this.reset();
      return sendJson(res, 204, undefined);
    }
    if (route === 'POST /_sandbox/incoming') {
      const text = await readBody(req);
      const sent = this.sendIncoming(text.trim() === '' ? {} : (JSON.parse(text) as JsonObject));
      return sent.ok
        ? sendJson(res, 201, sent.referral)
        : sendJson(res, 400, invalid(sent.problems).body);
    }
    const acting = /^POST \/_sandbox\/referrals\/([\w-]+)\/(accept|decline|close)$/.exec(route);
    if (acting?.[1] && acting[2]) {
      const text = await readBody(req);
      const answer = this.actAsMicrosoft(
        acting[1],
        acting[2] as 'accept' | 'decline' | 'close',
        text.trim() === '' ? {} : (JSON.parse(text) as JsonObject),
      );
      this.changed();
      return sendJson(res, answer.status, answer.body);
    }
    if (route === 'POST /_sandbox/clock') {
      const { advanceMs } = JSON.parse(await readBody(req)) as { advanceMs?: unknown };
      if (typeof advanceMs !== 'number' || !(advanceMs >= 0)) {
        return sendJson(res, 400, {
          error: { code: 'invalidRequest', message: 'advanceMs must be a number, 0 or more' },
        });
      }
      this.advanceClock(advanceMs);
      return sendJson(res, 200, { now: this.now().toISOString() });
    }
    if (route === 'POST /_sandbox/faults') {
      const rule = JSON.parse(await readBody(req)) as FaultRule;
      this.injectFault(rule);
      return sendJson(res, 201, rule);
    }
    if (route === 'DELETE /_sandbox/faults') {
      this.clearFaults();
      return sendJson(res, 204, undefined);
    }
    if (route === 'POST /_sandbox/refusals') {
      const refusal = JSON.parse(await readBody(req)) as Refusal;
      this.refuse(refusal);
      return sendJson(res, 201, refusal);
    }
    if (route === 'DELETE /_sandbox/refusals') {
      this.clearRefusals();
      return sendJson(res, 204, undefined);
    }
    sendJson(res, 404, { error: { code: 'itemNotFound', message: 'Unknown sandbox route' } });
  }
}

function errorAnswer(
  status: number,
  code: string,
  message: string,
  target = 'referral',
): StoredAnswer {
  return { status, body: { error: { code, message, target } } };
}

/** A 400 listing every problem, as the service's error body carries them. */
function invalid(problems: RuleViolation[]): StoredAnswer {
  const [first] = problems;
  return {
    status: 400,
    body: {
      error: {
        code: 'invalidRequest',
        message: first ? `${first.target}: ${first.message}` : 'The request is invalid.',
        target: first?.target ?? 'referral',
        details: problems.map((p) => ({
          code: 'invalidValue',
          target: p.target,
          message: p.message,
        })),
      },
    },
  };
}

/** A referral Microsoft sends, after the 2020 list example (an incoming lead). */
function incomingExample(): JsonObject {
  return {
    type: 'Shared',
    qualification: 'SalesQualified',
    customerProfile: {
      name: 'Fabrikam Customer Inc',
      address: {
        addressLine1: 'One Microsoft Way',
        city: 'Redmond',
        state: 'WA',
        postalCode: '98052',
        country: 'US',
      },
    },
    consent: { consentToToShareInfoWithOthers: true, consentToContact: true },
    details: {
      notes:
        'We are interested in deploying Microsoft 365 and are looking for support in training our employees. Can you help?',
      dealValue: 10000,
      currency: 'USD',
      closingDateTime: '2027-12-01T00:00:00Z',
      requirements: {
        industries: [{ id: 'Education' }],
        products: [{ id: 'Microsoft365' }],
        services: [{ id: 'LearningAndCertification' }],
        solutions: [{ id: 'SOL-Microsoft365', name: 'Microsoft365' }],
      },
    },
    inviteContext: { invitedBy: { organizationId: 'msft', organizationName: 'Microsoft' } },
  };
}

/**
 * One JSON Patch operation applied to the referral in place (a list grows at `-` or a position);
 * what is wrong with it, else undefined. Microsoft's example sends the deal value as text.
 */
function applyOperation(referral: JsonObject, op: unknown): string | undefined {
  if (
    !isPlainObject(op) ||
    (op.op !== 'replace' && op.op !== 'add') ||
    typeof op.path !== 'string'
  ) {
    return "Only JSON Patch 'replace' and 'add' operations are supported.";
  }
  if (!op.path.startsWith('/') || op.value === undefined)
    return `Operation on '${op.path}' is not valid.`;
  const segments = op.path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const [first] = segments;
  if (
    segments.some((s) => s === '' || ['__proto__', 'constructor', 'prototype'].includes(s)) ||
    ['id', 'engagementId', ...SERVICE_SET].includes(first ?? '')
  ) {
    return `Path '${op.path}' cannot be patched.`;
  }
  let value = op.value as Json;
  if (
    op.path === '/details/dealValue' &&
    typeof value === 'string' &&
    /^\d+(\.\d+)?$/.test(value)
  ) {
    value = Number(value);
  }
  let node: Json = referral;
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (Array.isArray(node)) {
      const position =
        segment === '-' ? node.length : /^\d+$/.test(segment) ? Number(segment) : NaN;
      if (!(position <= (op.op === 'add' ? node.length : node.length - 1))) {
        return `Path '${op.path}' does not exist.`;
      }
      if (last) {
        if (op.op === 'add') node.splice(position, 0, value);
        else node[position] = value;
        return undefined;
      }
      node = node[position] as Json;
    } else if (isPlainObject(node)) {
      if (last) {
        node[segment] = value;
        return undefined;
      }
      const child: Json | undefined = node[segment];
      if (child === undefined || child === null) {
        // A list or object the referral does not have yet (no team so far) starts here.
        node[segment] = segments[i + 1] === '-' ? [] : {};
      }
      node = node[segment] as Json;
    } else {
      return `Path '${op.path}' does not exist.`;
    }
  }
  return undefined;
}

function newEtag(): string {
  return `"${randomUUID()}"`;
}

/**
 * The sandbox's webhooks, as "Partner Center webhooks" (2023) describes them: one registration
 * (one URL for the events it lists) through the registration API, events of a few fields naming
 * the referral's URI, signed with a certificate published at a URL sent along, delivered with up
 * to ten attempts and then set aside ("moved into an offline queue"). Validation events send a
 * `test-created` event, throttled to 2 a minute as the page says.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { signingChain, type SigningChain } from './event-signing';
import { readBody, sendJson } from './http';

/** The events the registration API offers (the referral ones and the test event). */
export const WEBHOOK_EVENTS = [
  'referral-created',
  'referral-updated',
  'related-referral-created',
  'related-referral-updated',
  'test-created',
] as const;

export interface WebhookRegistration {
  SubscriberId: string;
  WebhookUrl: string;
  WebhookEvents: string[];
  signatureTokenToMsSignatureHeader?: boolean;
}

/** One event's delivery, as the sandbox tried it. */
export interface EventDelivery {
  event: Record<string, unknown>;
  url: string;
  attempts: number;
  state: 'pending' | 'delivered' | 'parked';
  lastStatus?: number | string;
  correlationId?: string;
}

export interface WebhookOptions {
  /** The wait after a failed attempt, doubling (default 1 s; the service's is not documented). */
  retryMs?: number;
  /** How many attempts before an event is parked (Partner Center: 10). */
  maxAttempts?: number;
}

const RESOURCE_BASE = 'https://api.partnercenter.microsoft.com/engagements/v1/referrals';

export class SandboxWebhooks {
  registration: WebhookRegistration | undefined;
  readonly deliveries: EventDelivery[] = [];
  retryMs: number;
  maxAttempts: number;
  private chain: SigningChain | undefined;
  private validations = new Map<string, EventDelivery>();
  private validationTimes: number[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(options: WebhookOptions = {}) {
    this.retryMs = options.retryMs ?? 1000;
    this.maxAttempts = options.maxAttempts ?? 10;
  }

  /** Makes the signing chain; certificates are served under `baseUrl`. */
  async start(baseUrl: string): Promise<void> {
    this.baseUrl = baseUrl;
    this.chain = await signingChain({ intermediateUrl: `${baseUrl}/_certs/intermediate.cer` });
  }

  private baseUrl = '';

  /** PEM of the test root the events chain to (what the local product trusts). */
  get rootPem(): string {
    if (!this.chain) throw new Error('webhooks not started');
    return this.chain.rootPem;
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  reset(): void {
    this.stop();
    this.registration = undefined;
    this.deliveries.length = 0;
    this.validations.clear();
    this.validationTimes = [];
  }

  /** `GET /_certs/...`: the signing certificate and its intermediate, DER as `.cer` files are. */
  serveCertificate(path: string, res: ServerResponse): void {
    const der =
      path === '/_certs/pcnotifications-dispatch.cer'
        ? this.chain?.signingDer
        : path === '/_certs/intermediate.cer'
          ? this.chain?.intermediateDer
          : undefined;
    res.writeHead(der ? 200 : 404, { 'content-type': 'application/pkix-cert' });
    res.end(der);
  }

  /** A referral changed: its event goes to the registered URL, if the event is registered. */
  emit(eventName: string, referralId: string, changedAt: string): void {
    const event = {
      EventName: eventName,
      ResourceUri: `${RESOURCE_BASE}/${referralId}`,
      ResourceName: 'referral',
      AuditUri: null,
      ResourceChangeUtcDate: changedAt,
    };
    this.send(event);
  }

  /**
   * Sends an event exactly as it was (Partner Center's retries send the same body) if the
   * registration lists it; a validation's test event (`always`) goes whatever it lists.
   */
  send(
    event: Record<string, unknown>,
    options: { correlationId?: string; always?: boolean } = {},
  ): EventDelivery | undefined {
    const { correlationId, always } = options;
    const registration = this.registration;
    if (!registration) return undefined;
    if (!always && !registration.WebhookEvents.includes(String(event.EventName))) return undefined;
    const delivery: EventDelivery = {
      event,
      url: registration.WebhookUrl,
      attempts: 0,
      state: 'pending',
      ...(correlationId ? { correlationId } : {}),
    };
    this.deliveries.push(delivery);
    void this.attempt(delivery, registration.signatureTokenToMsSignatureHeader === true);
    return delivery;
  }

  /** The signed headers of a body, as Partner Center sends them. */
  signedHeaders(body: Buffer, inMsSignatureHeader = false): Record<string, string> {
    if (!this.chain) throw new Error('webhooks not started');
    const token = `Signature ${this.chain.sign(body)}`;
    return {
      'content-type': 'application/json',
      ...(inMsSignatureHeader ? { 'x-ms-signature': token } : { authorization: token }),
      'x-ms-certificate-url': `${this.baseUrl}/_certs/pcnotifications-dispatch.cer`,
      'x-ms-signature-algorithm': 'rsa-sha256',
    };
  }

  private async attempt(delivery: EventDelivery, inMsSignatureHeader: boolean): Promise<void> {
    const body = Buffer.from(JSON.stringify(delivery.event, null, 4));
    delivery.attempts += 1;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: this.signedHeaders(body, inMsSignatureHeader),
        body,
        signal: AbortSignal.timeout(10000),
      });
      await response.arrayBuffer().catch(() => undefined);
      delivery.lastStatus = response.status;
      if (response.ok) {
        delivery.state = 'delivered';
        return;
      }
    } catch (error) {
      delivery.lastStatus = (error as { name?: string }).name ?? 'network error';
    }
    if (delivery.attempts >= this.maxAttempts) {
      delivery.state = 'parked';
      return;
    }
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void this.attempt(delivery, inMsSignatureHeader);
      },
      this.retryMs * 2 ** (delivery.attempts - 1),
    );
    timer.unref();
    this.timers.add(timer);
  }

  /** The registration API (`/webhooks/v1/registration...`), the caller already authenticated. */
  async handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method ?? 'GET'} ${url.pathname.replace(/\/+$/, '')}`;
    const error = (status: number, code: string, message: string) =>
      sendJson(res, status, { error: { code, message } });
    if (route === 'GET /webhooks/v1/registration/events') {
      return sendJson(res, 200, [...WEBHOOK_EVENTS]);
    }
    if (route === 'GET /webhooks/v1/registration') {
      return this.registration
        ? sendJson(res, 200, this.registration)
        : error(404, 'itemNotFound', 'No webhook is registered.');
    }
    if (route === 'POST /webhooks/v1/registration' || route === 'PUT /webhooks/v1/registration') {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(await readBody(req)) as Record<string, unknown>;
      } catch {
        return error(400, 'invalidRequest', 'The body is not valid JSON.');
      }
      const url = typeof body.WebhookUrl === 'string' ? body.WebhookUrl : '';
      const events = Array.isArray(body.WebhookEvents) ? body.WebhookEvents.map(String) : [];
      if (!/^https?:\/\//.test(url) || events.length === 0) {
        return error(400, 'invalidRequest', 'WebhookUrl and WebhookEvents are required.');
      }
      const unknown = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
      if (unknown.length > 0)
        return error(400, 'invalidRequest', `Unknown events: ${unknown.join(', ')}`);
      if (route.startsWith('POST') && this.registration) {
        return error(409, 'conflict', 'A webhook is already registered; update it with PUT.');
      }
      if (route.startsWith('PUT') && !this.registration) {
        return error(404, 'itemNotFound', 'No webhook is registered; register it with POST.');
      }
      this.registration = {
        SubscriberId: this.registration?.SubscriberId ?? randomUUID(),
        WebhookUrl: url,
        WebhookEvents: events,
        ...(body.signatureTokenToMsSignatureHeader === true
          ? { signatureTokenToMsSignatureHeader: true }
          : {}),
      };
      return sendJson(res, 200, this.registration);
    }
    if (route === 'POST /webhooks/v1/registration/validationEvents') {
      if (!this.registration) return error(404, 'itemNotFound', 'No webhook is registered.');
      const now = Date.now();
      this.validationTimes = this.validationTimes.filter((t) => now - t < 60000);
      if (this.validationTimes.length >= 2) {
        res.setHeader('retry-after', '60');
        return error(429, 'tooManyRequests', 'At most 2 validation events a minute.');
      }
      this.validationTimes.push(now);
      const correlationId = randomUUID();
      const event = {
        EventName: 'test-created',
        ResourceUri: `https://api.partnercenter.microsoft.com/webhooks/v1/registration/validationEvents/${correlationId}`,
        ResourceName: 'test',
        AuditUri: null,
        ResourceChangeUtcDate: new Date().toISOString(),
      };
      const delivery = this.send(event, { correlationId, always: true });
      if (delivery) this.validations.set(correlationId, delivery);
      return sendJson(res, 200, { correlationId });
    }
    const validation = /^GET \/webhooks\/v1\/registration\/validationEvents\/([\w-]+)$/.exec(route);
    if (validation?.[1]) {
      const delivery = this.validations.get(validation[1]);
      if (!delivery) return error(404, 'itemNotFound', 'No such validation event.');
      return sendJson(res, 200, {
        correlationId: validation[1],
        partnerId: randomUUID(),
        status: delivery.state === 'pending' ? 'pending' : 'completed',
        callbackUrl: delivery.url,
        results: delivery.attempts
          ? [
              {
                responseCode:
                  typeof delivery.lastStatus === 'number' && delivery.lastStatus < 300
                    ? 'OK'
                    : String(delivery.lastStatus),
                responseMessage: '',
                systemError: false,
                dateTimeUtc: new Date().toISOString(),
              },
            ]
          : [],
      });
    }
    return error(404, 'itemNotFound', `No route for ${route}`);
  }
}

/**
 * Partner Center's webhook registration API ("Partner Center webhooks": `GET/POST/PUT
 * /webhooks/v1/registration`, validation events), on Partner Center's own API host with its own
 * token audience (`https://api.partnercenter.microsoft.com`), not the Referrals API's.
 */
import { randomUUID } from 'node:crypto';
import type { AccessTokenSource } from './client';

export interface WebhookRegistration {
  WebhookUrl: string;
  WebhookEvents: string[];
  SubscriberId?: string;
  signatureTokenToMsSignatureHeader?: boolean;
}

export interface ValidationResult {
  status: string;
  results: { responseCode: string; responseMessage?: string }[];
}

export class WebhookRegistrationError extends Error {
  override name = 'WebhookRegistrationError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class WebhookRegistrationClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly tokens: AccessTokenSource;

  constructor(options: { baseUrl: string; tokens: AccessTokenSource; fetch?: typeof fetch }) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
    this.tokens = options.tokens;
  }

  /** The current registration, or undefined when there is none. */
  async get(): Promise<WebhookRegistration | undefined> {
    try {
      return await this.call<WebhookRegistration>('GET', '/webhooks/v1/registration');
    } catch (error) {
      if (error instanceof WebhookRegistrationError && error.status === 404) return undefined;
      throw error;
    }
  }

  register(registration: WebhookRegistration): Promise<WebhookRegistration> {
    return this.call('POST', '/webhooks/v1/registration', registration);
  }

  update(registration: WebhookRegistration): Promise<WebhookRegistration> {
    return this.call('PUT', '/webhooks/v1/registration', registration);
  }

  /** Asks Partner Center to send a test event to the registered URL. */
  async sendTestEvent(): Promise<string> {
    const answer = await this.call<{ correlationId: string }>(
      'POST',
      '/webhooks/v1/registration/validationEvents',
    );
    return answer.correlationId;
  }

  testResult(correlationId: string): Promise<ValidationResult> {
    return this.call(
      'GET',
      `/webhooks/v1/registration/validationEvents/${encodeURIComponent(correlationId)}`,
    );
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.tokens.getAccessToken()}`,
        accept: 'application/json',
        'ms-correlationid': randomUUID(),
        'ms-requestid': randomUUID(),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30000),
    });
    const text = await response.text();
    if (!response.ok) {
      let message = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { error?: { message?: string } };
        message = parsed.error?.message ?? message;
      } catch {
        // not JSON: the text says it
      }
      throw new WebhookRegistrationError(
        response.status,
        `Partner Center answered ${response.status} to ${method} ${path}: ${message}`,
      );
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

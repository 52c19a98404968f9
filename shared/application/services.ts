/**
 * The collaborators a request needs, as the application sees them. `functions/services.ts` builds
 * them from the settings (the app's one composition root); tests build them the same way against
 * the local stand-ins or pass fakes.
 */
import type { CallerAuthenticator } from '../adapters/caller/authenticate';
import type { CallbackPolicy } from '../adapters/notifications/callback';
import type { EventVerifier } from '../adapters/partner-center/event-signature';
import type { PartnerCenterClient } from '../adapters/partner-center/client';
import type { PartnerCenterTokenProvider } from '../adapters/partner-center/token-provider';
import type { EngagementStore } from '../adapters/storage/engagement-store';
import type { IdempotencyStore } from '../adapters/storage/idempotency-store';
import type { SubscriptionStore } from '../adapters/storage/subscription-store';
import type { Settings } from '../config';
import type { PendingWrites } from './after-answer';
import type { IdempotencyPolicy } from './create-referral';
import type { StepRetryPolicy } from './shared-referral/flow';

export interface Services {
  settings: Settings;
  partnerCenter: PartnerCenterClient;
  tokens: PartnerCenterTokenProvider;
  idempotency: IdempotencyStore;
  idempotencyPolicy: IdempotencyPolicy;
  /** This instance's writes still running after their answer (waited for on an orderly stop). */
  afterAnswer: PendingWrites;
  /** How a shared referral's steps are tried again. */
  stepRetry: StepRetryPolicy;
  engagements: EngagementStore;
  /** Proves who is calling (Entra ID tokens, or no one with AUTH_MODE none). */
  callers: CallerAuthenticator;
  /** When the integration user's sign-in was last renewed (its token cache last written). */
  signIn: {
    lastRenewedAt(): Promise<Date | undefined>;
    /** When a refresh last found the sign-in dead (any instance), if one did. */
    lostAt(): Promise<Date | undefined>;
  };
  /** Proves that a webhook event comes from Partner Center. */
  events: EventVerifier;
  subscriptions: SubscriptionStore;
  /** Where notifications may go, and how often a delivery is tried. */
  notifications: NotificationPolicy;
}

export interface NotificationPolicy {
  callbacks: CallbackPolicy;
  maxAttempts: number;
  /** The first wait between attempts; it doubles, up to an hour. */
  firstDelayMs: number;
}

/**
 * Registering the gateway's callback with Partner Center, without breaking an integration that
 * is already there. Partner Center keeps one registration per partner, one URL for all its
 * events: if another URL is registered (Microsoft's CRM co-sell connector, say), taking it over
 * silences that integration, so that is done only when told to.
 */
import type {
  WebhookRegistration,
  WebhookRegistrationClient,
} from '../adapters/partner-center/webhook-registration';
import { REFERRAL_EVENTS } from '../contract/partner-center-event';

export type RegistrationPlan =
  | { action: 'none'; registration: WebhookRegistration }
  | { action: 'register' | 'update'; registration: WebhookRegistration }
  | { action: 'refuse'; current: WebhookRegistration };

/** What to do, given what is registered now. Pure. */
export function planRegistration(
  current: WebhookRegistration | undefined,
  callbackUrl: string,
  replace: boolean,
): RegistrationPlan {
  const ours: WebhookRegistration = {
    WebhookUrl: callbackUrl,
    WebhookEvents: [...REFERRAL_EVENTS],
  };
  if (!current) return { action: 'register', registration: ours };
  if (current.WebhookUrl !== callbackUrl && !replace) return { action: 'refuse', current };
  // The same URL (or taking it over): keep the events it has, add ours.
  const events = [...new Set([...current.WebhookEvents, ...REFERRAL_EVENTS])];
  const registration = { ...current, WebhookUrl: callbackUrl, WebhookEvents: events };
  const unchanged =
    current.WebhookUrl === callbackUrl && events.length === current.WebhookEvents.length;
  return { action: unchanged ? 'none' : 'update', registration };
}

export interface RegisterOptions {
  callbackUrl: string;
  replace: boolean;
  /** How long to wait for the test event's result. */
  testWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Shows, registers (or refuses), and sends a test event; true when the gateway is registered. */
export async function registerGateway(
  client: WebhookRegistrationClient,
  options: RegisterOptions,
  print: (line: string) => void,
): Promise<boolean> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const current = await client.get();
  print(
    current
      ? `Registered now: ${current.WebhookUrl} for ${current.WebhookEvents.join(', ')}.`
      : 'Nothing is registered now.',
  );
  const plan = planRegistration(current, options.callbackUrl, options.replace);
  switch (plan.action) {
    case 'refuse':
      print(
        `Another URL is registered (${plan.current.WebhookUrl}); Partner Center keeps one per partner, so registering the gateway would stop events reaching it (for example Microsoft's CRM co-sell connector). Nothing was changed. Run again with --replace to take the registration over.`,
      );
      return false;
    case 'register':
      await client.register(plan.registration);
      print(`Registered ${options.callbackUrl} for ${plan.registration.WebhookEvents.join(', ')}.`);
      break;
    case 'update':
      await client.update(plan.registration);
      print(
        `Updated the registration: ${options.callbackUrl} for ${plan.registration.WebhookEvents.join(', ')}.`,
      );
      break;
    case 'none':
      print('The gateway is already registered for every referral event.');
      break;
  }
  const correlationId = await client.sendTestEvent();
  print(`Sent a test event (correlation id ${correlationId}).`);
  const until = Date.now() + (options.testWaitMs ?? 20000);
  for (;;) {
    const result = await client.testResult(correlationId);
    const last = result.results.at(-1);
    if (result.status === 'completed' && last) {
      print(`The test event was answered: ${last.responseCode}.`);
      return last.responseCode === 'OK';
    }
    if (Date.now() > until) {
      print('The test event has no answer yet; check the gateway logs (partnerCenterEvent.*).');
      return true;
    }
    await sleep(1000);
  }
}

/** Events as Partner Center publishes them, read for what the gateway needs: the referral's id. */
import { parseEvent } from '../../../shared/contract/partner-center-event';
import { microsoftSample } from '../../support/seed';

const REFERRAL_ID = '0e7d3a4f-1c2b-4d5e-8f90-a1b2c3d4e5f6';

const withId = (file: string) =>
  Buffer.from(JSON.stringify(microsoftSample(file)).replace('{{ReferralID}}', REFERRAL_ID));

test.each([
  'webhook-referral-created.event.json',
  'webhook-referral-updated.event.json',
  'webhook-related-referral-created.event.json',
  'webhook-related-referral-updated.event.json',
])("Microsoft's published event %s names its referral", (file) => {
  const parsed = parseEvent(withId(file));
  expect(parsed).toMatchObject({ ok: true, kind: 'referral', event: { referralId: REFERRAL_ID } });
});

test('the test event is known and has no referral', () => {
  const parsed = parseEvent(
    Buffer.from(JSON.stringify(microsoftSample('webhook-test-created.event.json'))),
  );
  expect(parsed).toMatchObject({ ok: true, kind: 'test' });
});

test('the same event gets the same id however often it comes; another change another', () => {
  const one = parseEvent(withId('webhook-referral-updated.event.json'));
  const again = parseEvent(withId('webhook-referral-updated.event.json'));
  const created = parseEvent(withId('webhook-referral-created.event.json'));
  expect(one.ok && again.ok && one.event.eventId === again.event.eventId).toBe(true);
  expect(one.ok && created.ok && one.event.eventId !== created.event.eventId).toBe(true);
});

test.each([
  ['not JSON', 'nope'],
  ['no resource', JSON.stringify({ EventName: 'referral-updated', ResourceChangeUtcDate: 'x' })],
  [
    'no referral id',
    JSON.stringify({
      EventName: 'referral-updated',
      ResourceUri: 'https://api.partnercenter.microsoft.com/engagements/v1/referrals/x',
      ResourceChangeUtcDate: '2026-01-01T00:00:00Z',
    }),
  ],
])('%s is not an event', (_what, text) => {
  expect(parseEvent(Buffer.from(text)).ok).toBe(false);
});

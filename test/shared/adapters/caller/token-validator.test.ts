/** The token validator against a local identity provider: discovery, keys, rotation. */
import { randomUUID } from 'node:crypto';
import {
  EntraTokenValidator,
  InvalidTokenError,
} from '../../../../shared/adapters/caller/token-validator';
import { LocalIdentityProvider } from '../../../../local/identity-provider';
import { trustingFetch } from '../../../../local/tls';
import { GATEWAY_APP_ID_URI, GATEWAY_CLIENT_ID } from '../../../support/entra-tokens';

let identity: LocalIdentityProvider;

beforeAll(async () => {
  identity = await new LocalIdentityProvider().start();
});
afterAll(() => identity.stop());

function validator(options: { jwksCooldownMs?: number } = {}) {
  return new EntraTokenValidator({
    issuer: identity.issuer,
    clientId: GATEWAY_CLIENT_ID,
    appIdUri: GATEWAY_APP_ID_URI,
    fetch: trustingFetch([identity.certificate]),
    ...options,
  });
}

const claims = (extra: Record<string, unknown> = {}) => ({
  aud: GATEWAY_CLIENT_ID,
  ver: '2.0',
  oid: randomUUID(),
  azp: randomUUID(),
  roles: ['Referrals.Read'],
  ...extra,
});

it('finds the keys through the issuer metadata and reads the caller from the claims', async () => {
  const token = await identity.signToken(claims({ name: 'Nightly sync' }), 3600);
  const caller = await validator().validate(token);
  expect(caller.kind).toBe('application');
  expect(caller.name).toBe('Nightly sync');
  expect([...caller.permissions]).toEqual(['Referrals.Read']);
});

it('accepts tokens signed with a rotated key, fetching the keys again once', async () => {
  const checker = validator({ jwksCooldownMs: 0 });
  await checker.validate(await identity.signToken(claims(), 3600));
  await identity.rotateSigningKey();
  const caller = await checker.validate(await identity.signToken(claims(), 3600));
  expect(caller.permissions.has('Referrals.Read')).toBe(true);
});

it('does not let unknown key ids force a fetch within the cooldown', async () => {
  const checker = validator({ jwksCooldownMs: 60000 });
  await checker.validate(await identity.signToken(claims(), 3600));
  await identity.rotateSigningKey();
  const fresh = await identity.signToken(claims(), 3600);
  await expect(checker.validate(fresh)).rejects.toBeInstanceOf(InvalidTokenError);
});

it('allows a small clock skew but no more', async () => {
  const checker = validator();
  await expect(checker.validate(await identity.signToken(claims(), -60))).resolves.toBeDefined();
  await expect(checker.validate(await identity.signToken(claims(), -300))).rejects.toThrow(
    /claim exp|expired/i,
  );
});

it('trusts a proven token again until it expires, and no longer', async () => {
  const checker = validator();
  const token = await identity.signToken(claims(), 2);
  const first = await checker.validate(token);
  expect(await checker.validate(token)).toBe(first); // the proven caller, not a new check
  await new Promise((resolve) => setTimeout(resolve, 2100));
  // Expired now, but within the clock skew: checked again (and still accepted).
  const again = await checker.validate(token);
  expect(again).not.toBe(first);
  expect(again.objectId).toBe(first.objectId);
});

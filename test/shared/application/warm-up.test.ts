/** The start-up warm-up: the first request's one-time work done ahead, failures only logged. */
import { warmUp } from '../../../shared/application/warm-up';
import { startLocalPartnerCenter, type LocalPartnerCenter } from '../../../local/stand-ins';
import { gatewayEnv, servicesFor } from '../../support/gateway';

let local: LocalPartnerCenter;
beforeAll(async () => {
  local = await startLocalPartnerCenter();
});
afterAll(() => local.stop());

function capture() {
  const lines: string[] = [];
  const sink = {
    info: (l: string) => lines.push(l),
    warn: (l: string) => lines.push(l),
    error: (l: string) => lines.push(l),
  };
  return { lines, sink };
}

test('gets the Partner Center token and the issuer keys before the first request', async () => {
  const env = gatewayEnv(local, {
    AUTH_MODE: 'entra',
    AUTH_ISSUER: local.identity.issuer,
    AUTH_CLIENT_ID: '3c1f9a52-7d4e-4b8a-9e0f-5a6b7c8d9e01',
  });
  const services = servicesFor(local, env);
  local.identity.resetCounters();
  const { lines, sink } = capture();
  await warmUp(services, sink);
  expect(lines.join('\n')).toContain('"event":"warmUp.done"');
  expect(local.identity.tokenRequests.refresh_token).toBe(1);
  await services.tokens.getAccessToken(); // the first request's token: already there
  expect(local.identity.tokenRequests.refresh_token).toBe(1);
});

test('a step that cannot be done is logged, not thrown, and names no secret', async () => {
  const { PARTNER_CENTER_REFRESH_TOKEN: _none, ...env } = gatewayEnv(local);
  const services = servicesFor(local, env as Record<string, string>);
  const { lines, sink } = capture();
  await expect(warmUp(services, sink)).resolves.toBeUndefined();
  expect(lines.join('\n')).toContain('"event":"warmUp.incomplete"');
  expect(lines.join('\n')).toContain('"reason":"consentRequired"');
  expect(lines.join('\n')).not.toContain(env.PARTNER_CENTER_CLIENT_SECRET as string);
});

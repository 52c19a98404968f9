import { HttpRequest } from '@azure/functions';
import { healthRoute } from '../../../shared/api/health-route';
import { ROUTES } from '../../../shared/api/route-table';
import { connectionStringFor, freePort } from '../../../local/azurite';
import {
  gatewayOn,
  invoke,
  servicesFor,
  startLocalGateway,
  type LocalGateway,
} from '../../support/gateway';

let gateway: LocalGateway;
beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterAll(() => gateway.stop());

const request = () => new HttpRequest({ method: 'GET', url: 'https://gateway.local/api/health' });

test('healthy: configuration valid and Table Storage reachable, nothing secret in the answer', async () => {
  const answer = await gateway.health();

  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({
    status: 'healthy',
    checks: { configuration: { status: 'ok' }, tableStorage: { status: 'ok' } },
  });
  const text = JSON.stringify(answer.body);
  expect(text).not.toContain(gateway.local.clientSecret);
  expect(text).not.toMatch(/AccountKey|refresh/i);
});

test('unhealthy when settings are missing: names them, never echoes values', async () => {
  const env = {
    PARTNER_CENTER_CLIENT_SECRET: 'super-secret-value',
    PARTNER_CENTER_DEADLINE_MS: 'soon',
  };
  const logs: string[] = [];
  const answer = await invoke(ROUTES.health, healthRoute(), request(), logs, () =>
    servicesFor(gateway.local, env),
  );

  expect(answer.status).toBe(503);
  const checks = (answer.body as { checks: { configuration: { problems: string[] } } }).checks;
  const problems = checks.configuration.problems.join('\n');
  expect(problems).toContain('PARTNER_CENTER_TENANT_ID is required');
  expect(problems).toContain('PARTNER_CENTER_DEADLINE_MS must be a whole number');
  expect(problems).toContain('AzureWebJobsStorage is required');
  expect(JSON.stringify(answer.body)).not.toContain('super-secret-value');
  expect(answer.body).toMatchObject({
    status: 'unhealthy',
    checks: { tableStorage: { status: 'failed' } },
  });
});

test('unhealthy when Table Storage cannot be reached', async () => {
  const port = await freePort();
  const unreachable = gatewayOn(gateway.local, {
    AzureWebJobsStorage: connectionStringFor(`http://127.0.0.1:${port}/devstoreaccount1`),
  });

  const answer = await invoke(
    ROUTES.health,
    healthRoute(1000),
    request(),
    [],
    () => unreachable.services,
  );

  expect(answer.status).toBe(503);
  expect(answer.body).toMatchObject({
    status: 'unhealthy',
    checks: { configuration: { status: 'ok' }, tableStorage: { status: 'failed' } },
  });
  expect(JSON.stringify(answer.body)).toMatch(
    /Table Storage (could not be reached|did not answer)/,
  );
  expect(JSON.stringify(answer.body)).not.toContain('AccountKey');
});

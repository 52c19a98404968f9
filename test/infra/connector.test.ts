/**
 * The Power Automate connector's API description: generated (no drift from the committed file),
 * valid OpenAPI 2.0, covering exactly the routes the app registers, with examples that are real.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { ReferralSchema } from '../../shared/contract/schema';
import { validateReferralCreateRequest } from '../../shared/contract/validate';
import { API_DEFINITION, apiDefinition, apiDefinitionText } from '../../scripts/connector';
import { freePort } from '../../local/azurite';
import { startHostProcess } from '../../local/host/launch';
import { seedRequest, seedResponse } from '../support/seed';

jest.setTimeout(60000);

const ROOT = join(__dirname, '..', '..');
type Definition = {
  paths: Record<string, Record<string, { operationId: string; summary: string }>>;
  definitions: Record<string, { example?: unknown }>;
};

test('the committed file is what npm run connector generates', () => {
  expect(readFileSync(API_DEFINITION, 'utf8')).toBe(apiDefinitionText());
});

test('it is valid OpenAPI 2.0', async () => {
  const api = await SwaggerParser.validate(API_DEFINITION);
  expect((api as { swagger?: string }).swagger).toBe('2.0');
});

test('every registered HTTP route is described, and nothing else', async () => {
  const host = await startHostProcess({
    appRoot: ROOT,
    port: await freePort(),
    env: { AzureWebJobsStorage: process.env.TEST_TABLES_CONNECTION_STRING as string },
    taskHub: `connector${Date.now()}`,
    output: () => undefined,
  });
  try {
    // The catch-all answers what no route takes; it is no operation to describe.
    const registered = host.functions
      .filter((f) => f.route && !f.route.includes('{*'))
      .flatMap((f) => (f.methods ?? []).map((m) => `${m.toUpperCase()} ${f.route}`))
      .sort();
    const api = apiDefinition() as unknown as Definition & { basePath: string };
    const described = Object.entries(api.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((m) => `${m.toUpperCase()} ${api.basePath}${path}`),
      )
      .sort();
    expect(described).toEqual(registered);
  } finally {
    await host.stop();
  }
});

test('every operation has an id and a summary a flow maker can read', () => {
  const api = apiDefinition() as unknown as Definition;
  const operations = Object.values(api.paths).flatMap((p) => Object.values(p));
  for (const operation of operations) {
    expect(operation.operationId).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(operation.summary.length).toBeGreaterThan(5);
  }
  expect(new Set(operations.map((o) => o.operationId)).size).toBe(operations.length);
});

test("the examples are the seed's, and have the shapes they illustrate", () => {
  const api = apiDefinition() as unknown as Definition;
  const example = api.definitions.ReferralCreateRequest?.example;
  expect(example).toEqual(seedRequest());
  expect(validateReferralCreateRequest(example).ok).toBe(true);
  expect(api.definitions.Referral?.example).toEqual(seedResponse());
  expect(ReferralSchema.safeParse(api.definitions.Referral?.example).success).toBe(true);
});

test('connections sign in with Entra ID OAuth 2.0', () => {
  const properties = JSON.parse(
    readFileSync(join(ROOT, 'infra', 'connector', 'apiProperties.json'), 'utf8'),
  ) as {
    properties: {
      connectionParameters: {
        token: { type: string; oAuthSettings: { identityProvider: string } };
      };
    };
  };
  const token = properties.properties.connectionParameters.token;
  expect(token.type).toBe('oauthSetting');
  expect(token.oAuthSettings.identityProvider).toBe('aad');
});

test('the new fields are described; known values are dropdowns for requests, never closed in answers', () => {
  type Node = {
    properties?: Record<string, Node>;
    items?: Node;
    enum?: unknown[];
    description?: string;
  };
  const api = apiDefinition() as { definitions: Record<string, Node> };
  const request = api.definitions.ReferralCreateRequest as Node;
  const help = request.properties?.inviteContext?.properties?.assistanceRequestCode;
  expect(help?.enum).toContain('ProofOfConceptOrDemo');
  expect(help?.description).toMatch(/others are accepted/);
  expect(request.properties?.salesStage?.enum).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
  expect(request.properties?.dealType?.enum).toEqual(['Private', 'PartnerLed', 'CoSell']);
  const ids = request.properties?.customerProfile?.properties?.ids?.items;
  expect(ids?.properties?.profileType?.enum).toEqual(['Duns', 'External']);

  const answer = api.definitions.Referral as Node;
  for (const field of [
    'direction',
    'closedDateTime',
    'acceptedDateTime',
    'registrations',
    'trackingInfo',
    'salesStage',
  ]) {
    expect(answer.properties).toHaveProperty(field);
  }
  expect(answer.properties?.direction?.enum).toBeUndefined();
  expect(answer.properties?.direction?.description).toMatch(/Incoming/);
});

/**
 * The Power Automate connector's API description: generated (no drift from the committed file),
 * valid OpenAPI 2.0, covering exactly the routes the app registers, with examples that are real.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { ReferralSchema } from '../../shared/contract/schema';
import { validateReferralCreateRequest } from '../../shared/contract/validate';
import {
  API_DEFINITION,
  apiDefinition,
  apiDefinitionText,
  routesNotForFlows,
  SMALL_WORDS,
  titleOf,
} from '../../scripts/connector';
import { registeredFunctions } from '../support/registered';
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
  const functions = await registeredFunctions(ROOT);
  // The catch-all answers what no route takes; Partner Center's event callback and the operator's
  // routes are not a flow's: none is an operation to describe.
  const notForFlows = new Set(routesNotForFlows());
  expect([...notForFlows]).toContain('POST /api/partner-center/events');
  const registered = functions
    .filter((f) => f.route && !f.route.includes('{*'))
    .flatMap((f) => (f.methods ?? []).map((m) => `${m.toUpperCase()} ${f.route}`))
    .filter((route) => !notForFlows.has(route))
    .sort();
  const api = apiDefinition() as unknown as Definition & { basePath: string };
  const described = Object.entries(api.paths)
    .flatMap(([path, operations]) =>
      Object.keys(operations).map((m) => `${m.toUpperCase()} ${api.basePath}${path}`),
    )
    .sort();
  expect(described).toEqual(registered);
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

describe('the Power Platform connector rules (the PowerPlatformConnectors swagger validator and certification checklist)', () => {
  type Schema = Record<string, unknown> & {
    properties?: Record<string, Schema>;
    items?: Schema;
    additionalProperties?: Schema | boolean;
  };
  type Parameter = Record<string, unknown> & { in: string; name: string };
  type Operation = {
    operationId: string;
    parameters: Parameter[];
    responses: Record<
      string,
      { schema?: unknown; headers?: Record<string, { description?: string }> }
    >;
    'x-ms-visibility'?: string;
  };
  const api = apiDefinition() as {
    info: { contact?: Record<string, string> };
    'x-ms-connector-metadata'?: { propertyName: string }[];
    definitions: Record<string, Schema>;
    paths: Record<string, Record<string, Operation>>;
  };
  const operations = Object.values(api.paths).flatMap((p) => Object.values(p));

  /** Every property schema in the definitions, with its path. */
  function properties(schema: Schema, path: string): [string, Schema][] {
    const own = Object.entries(schema.properties ?? {}).flatMap(([name, child]) => [
      [`${path}.${name}`, child] as [string, Schema],
      ...properties(child, `${path}.${name}`),
    ]);
    const items = schema.items ? properties(schema.items, `${path}[]`) : [];
    return [...own, ...items];
  }
  const allProperties = Object.entries(api.definitions).flatMap(([name, schema]) =>
    properties(schema, name),
  );

  test('nullable values use x-nullable, never a null type (validator: type must be a string)', () => {
    expect(allProperties.length).toBeGreaterThan(200);
    const typed = allProperties.filter(([, s]) => Array.isArray(s.type) || s.type === 'null');
    expect(typed.map(([path]) => path)).toEqual([]);
    expect(
      allProperties.some(([, s]) => s['x-ms-nullable'] !== undefined || s['x-nullable'] === true),
    ).toBe(true);
  });

  test('every property has an x-ms-summary and a description (certification: what a flow maker sees)', () => {
    const missing = allProperties.filter(
      ([, s]) => typeof s['x-ms-summary'] !== 'string' || typeof s.description !== 'string',
    );
    expect(missing.map(([path]) => path)).toEqual([]);
  });

  test('parameter summaries are in title case (validator: x-ms-summary title case)', () => {
    for (const parameter of operations.flatMap((o) => o.parameters)) {
      const words = String(parameter['x-ms-summary']).split(' ');
      words.forEach((word, i) => {
        if (i > 0 && SMALL_WORDS.has(word)) return;
        expect([parameter.name, word[0]]).toEqual([parameter.name, word[0]?.toUpperCase()]);
      });
    }
    expect(titleOf('consentToToShareInfoWithOthers')).toBe('Consent to to Share Info with Others');
  });

  test('path parameters say how they are encoded (validator: x-ms-url-encoding)', () => {
    const path = operations.flatMap((o) => o.parameters).filter((p) => p.in === 'path');
    // referrals/{id} (read, update and four actions), operations, requests, engagements, and a
    // subscription's (read, delete).
    expect(path.length).toBe(11);
    for (const parameter of path) expect(parameter['x-ms-url-encoding']).toBe('single');
  });

  test('every operation says how visible it is (validator: x-ms-visibility)', () => {
    for (const operation of operations) {
      expect([operation.operationId, operation['x-ms-visibility']]).toEqual([
        operation.operationId,
        expect.stringMatching(/^(important|advanced|internal)$/),
      ]);
    }
  });

  test('one response schema per operation, and every header described (validator)', () => {
    for (const operation of operations) {
      const withSchema = Object.values(operation.responses).filter((r) => r.schema !== undefined);
      // One, or none for an answer without a body (a delete's 204).
      const expected = operation.responses['204'] ? 0 : 1;
      expect([operation.operationId, withSchema.length]).toEqual([operation.operationId, expected]);
      for (const response of Object.values(operation.responses)) {
        for (const header of Object.values(response.headers ?? {})) {
          expect(typeof header.description).toBe('string');
        }
      }
    }
  });

  test('contact and connector metadata are there (certification checklist)', () => {
    expect(api.info.contact).toMatchObject({
      name: expect.any(String),
      url: expect.any(String),
      email: expect.any(String),
    });
    expect(api['x-ms-connector-metadata']?.map((m) => m.propertyName)).toEqual([
      'Website',
      'Privacy policy',
      'Categories',
    ]);
  });

  test('no ±2^53 bounds leak from the integer types (validator: minimum/maximum)', () => {
    const text = JSON.stringify(api);
    expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });

  test('no static secret in the connection: no function key policy, no stackOwner', () => {
    const properties = readFileSync(join(ROOT, 'infra', 'connector', 'apiProperties.json'), 'utf8');
    expect(properties).not.toMatch(/x-functions-key|policyTemplateInstances|stackOwner/);
  });

  test('the create answer holds both shapes: an Independent referral and a Shared outcome', () => {
    const created = api.definitions.CreatedReferral as Schema;
    for (const field of ['id', 'status', 'engagementId', 'partnerReferral', 'microsoftReferral']) {
      expect(created.properties).toHaveProperty(field);
    }
  });
});

describe('after the create: the list, the change and the actions', () => {
  type Operation = {
    operationId: string;
    parameters: ({ name: string; in: string; enum?: string[]; schema?: { $ref: string } } & Record<
      string,
      unknown
    >)[];
    'x-ms-pageable'?: { nextLinkName: string };
  };
  const api = apiDefinition() as unknown as {
    paths: Record<string, Record<string, Operation>>;
    definitions: Record<string, { properties?: Record<string, { enum?: string[] }> }>;
  };

  test('the list is pageable by the nextLink the gateway answers, its closed filters dropdowns', () => {
    const list = api.paths['/referrals']?.get as Operation;
    expect(list['x-ms-pageable']).toEqual({ nextLinkName: 'nextLink' });
    expect(api.definitions.ReferralList?.properties).toHaveProperty('nextLink');
    const byName = Object.fromEntries(list.parameters.map((p) => [p.name, p]));
    expect(byName.direction?.enum).toEqual(['Incoming', 'Outgoing']);
    expect(byName.status?.enum).toEqual(['None', 'New', 'Active', 'Closed']);
    // Raw OData is never a parameter: callers cannot send it.
    expect(list.parameters.some((p) => p.name.startsWith('$'))).toBe(false);
  });

  test('a change takes If-Match and Idempotency-Key; the actions their bodies', () => {
    for (const path of ['/referrals/{id}', '/referrals/{id}/close', '/referrals/{id}/decline']) {
      const operation = Object.values(api.paths[path] ?? {}).find((o) =>
        o.parameters.some((p) => p.name === 'If-Match'),
      );
      expect(operation?.parameters.map((p) => p.name)).toEqual(
        expect.arrayContaining(['If-Match', 'Idempotency-Key']),
      );
    }
    expect(api.definitions.CloseReferral?.properties?.outcome?.enum).toEqual(['Won', 'Lost']);
    expect(api.definitions.DeclineReferral?.properties?.reason?.enum).toContain('NotACustomer');
    expect(api.definitions.Registration?.properties).toHaveProperty('registrationType');
  });
});

test('the trigger: a webhook subscription Power Automate fills the notification URL of', () => {
  type Trigger = {
    'x-ms-trigger'?: string;
    parameters: { schema?: { $ref: string } }[];
    responses: Record<string, { schema?: { $ref: string }; headers?: Record<string, unknown> }>;
  };
  const api = apiDefinition() as unknown as {
    paths: Record<string, Record<string, Trigger>>;
    definitions: Record<string, { properties?: Record<string, Record<string, unknown>> }>;
  };
  const trigger = api.paths['/subscriptions']?.post as Trigger;
  expect(trigger['x-ms-trigger']).toBe('single');
  expect(trigger.responses['201']?.headers).toHaveProperty('Location');
  expect(trigger.responses['201']?.schema?.$ref).toBe('#/definitions/ReferralNotification');
  const url = api.definitions.SubscriptionRequest?.properties?.notificationUrl;
  expect(url).toMatchObject({ 'x-ms-notification-url': true, 'x-ms-visibility': 'internal' });
  // The referral's fields are the notification's, for dynamic content.
  expect(api.definitions.ReferralNotification?.properties?.referral).toHaveProperty('properties');
  expect(api.paths['/subscriptions/{subscriptionId}']).toHaveProperty('delete');
});

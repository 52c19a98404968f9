/**
 * `npm run connector`: writes infra/connector/apiDefinition.swagger.json, the OpenAPI 2.0
 * description a Power Automate custom connector imports. It is generated, never written by hand:
 * the routes from the gateway's route table, the bodies from the zod schemas the gateway validates
 * and answers with, the examples from the seed document.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import {
  CreatedReferralSchema,
  EngagementSchema,
  HealthSchema,
  ReferralListAnswerSchema,
  SharedReferralOutcomeSchema,
} from '../shared/api/answer-schemas';
import { actionSchemas } from '../shared/contract/referral-actions';
import { ReferralPatchSchema } from '../shared/contract/referral-patch';
import { LIST_ORDERS, MAX_LIST_TOP } from '../shared/contract/referral-query';
import {
  NotificationSchema,
  SubscriptionRequestSchema,
  SubscriptionSchema,
} from '../shared/contract/subscription';
import { ROUTES, type RouteName } from '../shared/api/route-table';
import {
  contractMeta,
  DIRECTIONS,
  ReferralCreateRequestSchema,
  ReferralQualificationSchema,
  ReferralSchema,
  ReferralStatusSchema,
  ReferralSubstatusSchema,
  ReferralTypeSchema,
} from '../shared/contract/schema';

const ROOT = resolve(__dirname, '..');
export const API_DEFINITION = join(ROOT, 'infra', 'connector', 'apiDefinition.swagger.json');

type JsonSchema = Record<string, unknown>;

/** Keywords Swagger 2.0 schema objects know; anything else JSON Schema has is dropped. */
const SWAGGER_KEYWORDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'default',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'required',
  'enum',
  'items',
  'allOf',
  'properties',
  'additionalProperties',
  'example',
]);

/**
 * JSON Schema (draft 4, from zod) as a Swagger 2.0 schema: `anyOf` (not in 2.0) becomes its first
 * alternative with the others named in the description; `const` becomes a one-value enum.
 */
export function toSwaggerSchema(schema: JsonSchema): JsonSchema {
  if (Array.isArray(schema.anyOf)) {
    const [first, ...others] = schema.anyOf as JsonSchema[];
    const converted = toSwaggerSchema({
      ...first,
      description: schema.description ?? first?.description,
    });
    const also = others.map((o) => String(o.type ?? 'another form')).join(', ');
    return {
      ...converted,
      description: `${converted.description ?? ''} Also accepted: ${also}.`.trim(),
    };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'const') out.enum = [value];
    else if (!SWAGGER_KEYWORDS.has(key)) continue;
    else if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [
          k,
          toSwaggerSchema(v),
        ]),
      );
    } else if (key === 'items') out.items = toSwaggerSchema(value as JsonSchema);
    else if (key === 'additionalProperties' && typeof value === 'object') {
      out.additionalProperties = toSwaggerSchema(value as JsonSchema);
    } else out[key] = value;
  }
  return out;
}

function definition(schema: z.ZodType, io: 'input' | 'output', example?: unknown): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-4',
    io,
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      // Values Microsoft uses without a closed list: a dropdown in the flow designer (which
      // also takes a custom value) for requests; named in the description for answers.
      const known = contractMeta.get(zodSchema)?.knownValues;
      if (!known) return;
      if (io === 'input') jsonSchema.enum = [...known];
      jsonSchema.description = `${jsonSchema.description ? `${jsonSchema.description} ` : ''}Known values: ${known.join(', ')}; others are accepted.`;
    },
  });
  return { ...toSwaggerSchema(json as JsonSchema), ...(example === undefined ? {} : { example }) };
}

const example = (file: string): unknown =>
  JSON.parse(readFileSync(join(ROOT, 'scripts', 'examples', file), 'utf8'));

const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
/**
 * Error answers are described, not typed: one response schema per operation (the success), as
 * the Power Platform validator asks. Every error body is the envelope of docs/api.md.
 */
const error = (description: string) => ({
  description: `${description} The body is the error envelope: error.code, error.message, error.details.`,
});

const COMMON_ERRORS = {
  '401': error('No valid Entra ID access token (the envelope says nothing more).'),
  '403': error('The caller lacks the permission (app role or scope) this action needs.'),
  '500': error('The gateway failed or is misconfigured; quote x-correlation-id.'),
};

const pathParameter = (name: string, summary: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  type: 'string',
  format: 'uuid',
  'x-ms-summary': summary,
  'x-ms-url-encoding': 'single',
  description,
});

const retryAfter = {
  'Retry-After': { type: 'integer', description: 'Seconds to wait before polling again.' },
};

const location = { Location: { type: 'string', description: 'Where to poll the operation.' } };

const idempotencyKeyParameter = (description: string, extra: Record<string, unknown> = {}) => ({
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  type: 'string',
  maxLength: 255,
  'x-ms-summary': 'Idempotency Key',
  ...extra,
  description,
});

const queryParameter = (
  name: string,
  summary: string,
  description: string,
  extra: Record<string, unknown> = {},
) => ({
  name,
  in: 'query',
  required: false,
  type: 'string',
  'x-ms-summary': summary,
  description,
  ...extra,
});

/** The headers every change of a referral takes. */
const changeHeaders = [
  {
    name: 'If-Match',
    in: 'header',
    required: false,
    type: 'string',
    'x-ms-summary': 'ETag',
    'x-ms-visibility': 'advanced',
    description:
      "The referral's eTag as you read it: the change is refused (412) if the referral changed since. Without it, the change applies to the referral as it is now.",
  },
  idempotencyKeyParameter(
    'One value per logical change (e.g. the flow run id): repeats with it answer the first outcome instead of changing again.',
    { 'x-ms-visibility': 'advanced' },
  ),
];

const changeResponses = {
  '200': {
    description: 'The updated referral.',
    schema: ref('Referral'),
    headers: { ETag: { type: 'string', description: "The referral's new ETag." } },
  },
  '400': error(
    'The change is invalid or not allowed from the referral’s current status: details say why and what is allowed.',
  ),
  ...COMMON_ERRORS,
  '404': error('There is no such referral that you may change.'),
  '409': error(
    'The same change is still being applied, or the idempotency key was used for another change.',
  ),
  '412': error('The referral changed since the ETag you sent: read it again and retry.'),
  '502': error('Partner Center failed or was unreachable; the same request may be sent again.'),
};

function actionOperation(
  operationId: string,
  summary: string,
  description: string,
  body: { definition: string; summary: string },
  visibility: 'important' | 'advanced',
): Record<string, unknown> {
  return {
    operationId,
    summary,
    description,
    'x-ms-visibility': visibility,
    parameters: [
      pathParameter('id', 'Referral Id', 'The referral id.'),
      ...changeHeaders,
      {
        name: 'body',
        in: 'body',
        // Accepting takes nothing but the id.
        required: body.definition !== 'AcceptReferral',
        'x-ms-summary': body.summary,
        schema: ref(body.definition),
      },
    ],
    responses: changeResponses,
  };
}

/**
 * What each route does, in a flow maker's words. The paths and methods come from ROUTES. `null`:
 * not for flows (Partner Center's own callback).
 */
const OPERATIONS: Record<RouteName, Record<string, unknown> | null> = {
  receivePartnerCenterEvent: null,
  // The operator's routes: for an administrator's tools, not for flows.
  listOperations: null,
  redriveOperation: null,
  listParked: null,
  redriveEvent: null,
  redriveNotification: null,
  createSubscription: {
    operationId: 'WhenReferralChanges',
    summary: 'When a referral is created or updated',
    description:
      'Triggers when Partner Center creates or updates a referral you may read (Microsoft accepting, declining or closing it, Microsoft adding its referral to an engagement, a new referral sent to you). The notification holds the whole referral as it is now, and an event id that is the same for every delivery of one change.',
    'x-ms-visibility': 'important',
    'x-ms-trigger': 'single',
    parameters: [
      {
        name: 'subscription',
        in: 'body',
        required: true,
        'x-ms-summary': 'Subscription',
        schema: ref('SubscriptionRequest'),
      },
    ],
    responses: {
      '201': {
        description: 'A referral changed: the notification.',
        schema: ref('ReferralNotification'),
        headers: { Location: { type: 'string', description: 'The subscription, to delete it.' } },
      },
      '400': error('The subscription is invalid: details say why.'),
      ...COMMON_ERRORS,
    },
  },
  listSubscriptions: {
    operationId: 'ListSubscriptions',
    summary: 'List subscriptions',
    description:
      'Your subscriptions (every one with Referrals.Read.All) and their latest deliveries.',
    'x-ms-visibility': 'advanced',
    parameters: [],
    responses: {
      '200': { description: 'The subscriptions.', schema: ref('SubscriptionList') },
      ...COMMON_ERRORS,
    },
  },
  getSubscription: {
    operationId: 'GetSubscription',
    summary: 'Get a subscription',
    description: 'A subscription and its latest deliveries, with the last failure of each.',
    'x-ms-visibility': 'advanced',
    parameters: [pathParameter('subscriptionId', 'Subscription Id', 'The subscription id.')],
    responses: {
      '200': { description: 'The subscription.', schema: ref('Subscription') },
      ...COMMON_ERRORS,
      '404': error('There is no such subscription that you may read.'),
    },
  },
  deleteSubscription: {
    operationId: 'DeleteSubscription',
    summary: 'Delete a subscription',
    description: 'Stops the notifications (Power Automate calls it when the flow is removed).',
    'x-ms-visibility': 'internal',
    parameters: [pathParameter('subscriptionId', 'Subscription Id', 'The subscription id.')],
    responses: {
      '204': { description: 'Deleted.' },
      ...COMMON_ERRORS,
      '404': error('There is no such subscription that you may read.'),
    },
  },
  createReferral: {
    operationId: 'CreateReferral',
    summary: 'Create a referral',
    'x-ms-visibility': 'important',
    description:
      'Creates a Partner Center referral. An Independent referral answers 201 with it. A Shared referral creates your referral and then a connected one for Microsoft on the same engagement: it answers 202 and the connector follows Location until the operation answers 201 with both. The same Idempotency-Key never creates twice.',
    parameters: [
      idempotencyKeyParameter(
        'One value per logical referral (a GUID, e.g. the flow run id). Repeats with it answer the first outcome instead of creating again.',
      ),
      {
        name: 'Prefer',
        in: 'header',
        required: false,
        type: 'string',
        'x-ms-summary': 'Wait for a Shared Referral',
        'x-ms-visibility': 'advanced',
        description:
          'wait=N (seconds, up to 60): answer 201 when the shared referral completes within N seconds.',
      },
      {
        name: 'referral',
        in: 'body',
        required: true,
        'x-ms-summary': 'Referral',
        schema: ref('ReferralCreateRequest'),
      },
    ],
    responses: {
      '201': {
        description:
          'Created: an Independent referral is the referral itself; a Shared one is the engagement with both referrals.',
        schema: ref('CreatedReferral'),
        headers: location,
      },
      '202': {
        description:
          'A Shared referral is being created, or the first request with this key is still running: the connector polls Location.',
        headers: { ...location, ...retryAfter },
      },
      '400': error('The referral is invalid: every problem is in details with its path.'),
      ...COMMON_ERRORS,
      '409': error('The idempotency key was used for a different referral.'),
      '413': error('The body is over 1 MiB.'),
      '415': error('The body is not JSON.'),
      '429': error('Partner Center kept throttling; retry after Retry-After.'),
      '502': error('Partner Center failed or was unreachable; the same request may be sent again.'),
      '503': error("The integration user's sign-in must be renewed (npm run consent)."),
    },
  },
  listReferrals: {
    operationId: 'ListReferrals',
    summary: 'List referrals',
    'x-ms-visibility': 'important',
    description:
      'Lists referrals, newest first unless ordered otherwise, page by page (the connector follows nextLink). Referrals.Read sees the referrals it created; Referrals.Read.All every referral, incoming ones included.',
    'x-ms-pageable': { nextLinkName: 'nextLink' },
    parameters: [
      queryParameter('engagementId', 'Engagement Id', 'Only referrals of this engagement.', {
        format: 'uuid',
      }),
      queryParameter('status', 'Status', 'Only referrals with this status.', {
        enum: ReferralStatusSchema.options,
      }),
      queryParameter('substatus', 'Substatus', 'Only referrals with this substatus.', {
        enum: ReferralSubstatusSchema.options,
      }),
      queryParameter('direction', 'Direction', 'Incoming: sent to you; Outgoing: sent by you.', {
        enum: [...DIRECTIONS],
      }),
      queryParameter('type', 'Type', 'Independent or Shared.', {
        enum: ReferralTypeSchema.options,
      }),
      queryParameter('qualification', 'Qualification', 'Only referrals of this qualification.', {
        enum: ReferralQualificationSchema.options,
        'x-ms-visibility': 'advanced',
      }),
      queryParameter('country', 'Customer Country', "The customer's two-letter country code.", {
        'x-ms-visibility': 'advanced',
      }),
      queryParameter(
        'updatedSince',
        'Updated Since',
        'Only referrals updated at or after this UTC date-time, e.g. 2026-11-01T00:00:00Z.',
        { format: 'date-time', 'x-ms-visibility': 'advanced' },
      ),
      queryParameter('teamEmail', 'Team Member E-mail', 'Only referrals with this team member.', {
        format: 'email',
        'x-ms-visibility': 'advanced',
      }),
      queryParameter(
        'externalReferenceId',
        'External Reference Id',
        'Only the referral(s) with your id, e.g. a CRM opportunity id (filtered by the gateway page by page).',
        { 'x-ms-visibility': 'advanced' },
      ),
      queryParameter('orderBy', 'Order By', 'The order of the referrals.', {
        enum: [...LIST_ORDERS],
        'x-ms-visibility': 'advanced',
      }),
      queryParameter('top', 'Top', `At most this many referrals in all (1 to ${MAX_LIST_TOP}).`, {
        type: 'integer',
        minimum: 1,
        maximum: MAX_LIST_TOP,
        'x-ms-visibility': 'advanced',
      }),
    ],
    responses: {
      '200': { description: 'A page of referrals.', schema: ref('ReferralList') },
      '400': error('A parameter is not valid: details name it and what is allowed.'),
      ...COMMON_ERRORS,
      '502': error('Partner Center failed or was unreachable.'),
    },
  },
  updateReferral: {
    operationId: 'UpdateReferral',
    summary: 'Update a referral',
    'x-ms-visibility': 'important',
    description:
      "Changes a referral with a JSON Patch (add and replace only), checked against the referral as it is now (the status table included) and written once: the gateway writes conditionally on the referral's ETag. Answers the updated referral.",
    parameters: [
      pathParameter('id', 'Referral Id', 'The referral id.'),
      ...changeHeaders,
      {
        name: 'patch',
        in: 'body',
        required: true,
        'x-ms-summary': 'Changes',
        schema: ref('ReferralPatch'),
      },
    ],
    responses: changeResponses,
  },
  closeReferral: actionOperation(
    'CloseReferral',
    'Close a referral as won or lost',
    'Closes the referral: status Closed with substatus Won or Lost, and the reason.',
    { definition: 'CloseReferral', summary: 'Outcome' },
    'important',
  ),
  acceptReferral: actionOperation(
    'AcceptReferral',
    'Accept a referral sent to you',
    'Accepts an incoming referral (status Active, substatus Accepted). Answer within 14 days, or Partner Center archives it as Expired.',
    { definition: 'AcceptReferral', summary: 'Acceptance' },
    'important',
  ),
  declineReferral: actionOperation(
    'DeclineReferral',
    'Decline a referral sent to you',
    'Declines an incoming referral (status Closed, substatus Declined) with the reason.',
    { definition: 'DeclineReferral', summary: 'Reason' },
    'important',
  ),
  registerDeal: actionOperation(
    'RegisterDeal',
    'Register a deal',
    'Adds a deal registration to the referral (its registrations).',
    { definition: 'Registration', summary: 'Deal Registration' },
    'advanced',
  ),
  getReferral: {
    operationId: 'GetReferral',
    summary: 'Get a referral',
    'x-ms-visibility': 'important',
    description: 'Reads a referral from Partner Center by its id.',
    parameters: [pathParameter('id', 'Referral Id', 'The referral id.')],
    responses: {
      '200': { description: 'The referral.', schema: ref('Referral') },
      '400': error('The id is not a GUID.'),
      ...COMMON_ERRORS,
      '404': error('There is no such referral.'),
      '502': error('Partner Center failed or was unreachable.'),
    },
  },
  followCreateRequest: {
    operationId: 'FollowCreateRequest',
    summary: 'Follow a referral being created',
    'x-ms-visibility': 'internal',
    description:
      'Where a repeated create is told to poll while its first request still runs: 202 while it runs, then 201 with the referral (finishing it if the first request died).',
    parameters: [pathParameter('requestId', 'Request Id', 'The request id from the 202 answer.')],
    responses: {
      '201': { description: 'Created: the referral.', schema: ref('Referral') },
      '202': { description: 'Still running.', headers: { ...location, ...retryAfter } },
      ...COMMON_ERRORS,
      '404': error('No such create is running: send the request again.'),
      '502': error('Partner Center failed or was unreachable; the same request may be sent again.'),
    },
  },
  getReferralOperation: {
    operationId: 'GetReferralOperation',
    summary: 'Get a shared referral operation',
    'x-ms-visibility': 'advanced',
    description:
      'The status of a Shared referral being created: 202 while running, 201 with both referrals when done, or the error that stopped it (send the same request again to finish it).',
    parameters: [
      pathParameter('operationId', 'Operation Id', 'The operation id from the 202 answer.'),
    ],
    responses: {
      '201': { description: 'Done: both referrals.', schema: ref('SharedReferralOutcome') },
      '202': { description: 'Still running.', headers: { ...location, ...retryAfter } },
      ...COMMON_ERRORS,
      '404': error('There is no such operation.'),
      '502': error('A step kept failing at Partner Center.'),
    },
  },
  getEngagement: {
    operationId: 'GetEngagement',
    summary: 'Get an engagement',
    'x-ms-visibility': 'advanced',
    description:
      'Every referral on an engagement as Partner Center has it now (those Microsoft added included), with what the gateway recorded: the operation, each referral’s role and whether the gateway created it.',
    parameters: [pathParameter('engagementId', 'Engagement Id', 'The engagement id.')],
    responses: {
      '200': { description: 'The engagement.', schema: ref('Engagement') },
      ...COMMON_ERRORS,
      '404': error('There is no such engagement that you may read.'),
      '502': error('Partner Center failed or was unreachable.'),
    },
  },
  health: {
    operationId: 'GetHealth',
    summary: 'Check the gateway',
    description: 'Whether the gateway is configured and can reach its storage. No sign-in needed.',
    'x-ms-visibility': 'internal',
    security: [],
    parameters: [],
    responses: {
      '200': { description: 'Healthy.', schema: ref('Health') },
      '503': { description: 'Unhealthy: the checks say why (the same shape).' },
    },
  },
};

/** Routes the connector does not describe (`METHOD /api/route`): Partner Center's, operators'. */
export function routesNotForFlows(): string[] {
  return (Object.entries(ROUTES) as [RouteName, (typeof ROUTES)[RouteName]][])
    .filter(([name]) => OPERATIONS[name] === null)
    .map(([, spec]) => `${spec.method} /api/${spec.route}`);
}

/** Words title case leaves in lower case (after the first). */
export const SMALL_WORDS = new Set([
  'a',
  'an',
  'and',
  'as',
  'at',
  'by',
  'for',
  'in',
  'of',
  'on',
  'or',
  'the',
  'to',
  'with',
]);

/** `customerProfile` → `Customer Profile`: the title a flow maker sees for a property. */
export function titleOf(name: string): string {
  const words = name
    .replace(/^@odata\./, 'OData ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_.-]+/)
    .filter(Boolean);
  return words
    .map((word, i) =>
      i > 0 && SMALL_WORDS.has(word.toLowerCase())
        ? word.toLowerCase()
        : `${word[0]?.toUpperCase() ?? ''}${word.slice(1)}`,
    )
    .join(' ');
}

/** JavaScript's safe-integer bounds that zod writes for `.int()`: no limit a flow maker set. */
const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

/**
 * Schemas as Power Platform reads them: `x-nullable` instead of a `null` type, an
 * `x-ms-summary` and a description on every property, no ±2^53 bounds.
 */
export function forPowerPlatform(
  definitions: Record<string, JsonSchema>,
): Record<string, JsonSchema> {
  const visit = (schema: JsonSchema, name?: string): JsonSchema => {
    const out: JsonSchema = { ...schema };
    if (Array.isArray(out.type)) {
      const types = (out.type as string[]).filter((t) => t !== 'null');
      if (types.length < (out.type as string[]).length) out['x-nullable'] = true;
      out.type = types[0];
    }
    if (Math.abs(Number(out.minimum)) === SAFE_INTEGER) delete out.minimum;
    if (Math.abs(Number(out.maximum)) === SAFE_INTEGER) delete out.maximum;
    if (name !== undefined) {
      out['x-ms-summary'] ??= titleOf(name);
      out.description ??= `${titleOf(name)}.`;
    }
    if (out.properties) {
      out.properties = Object.fromEntries(
        Object.entries(out.properties as Record<string, JsonSchema>).map(([k, v]) => [
          k,
          visit(v, k),
        ]),
      );
    }
    if (out.items) out.items = visit(out.items as JsonSchema);
    if (typeof out.additionalProperties === 'object') {
      out.additionalProperties = visit(out.additionalProperties as JsonSchema);
    }
    return out;
  };
  return Object.fromEntries(Object.entries(definitions).map(([k, v]) => [k, visit(v)]));
}

/** The trigger's body: Power Automate fills the notification URL in (`x-ms-notification-url`). */
function subscriptionRequest(): JsonSchema {
  const schema = definition(SubscriptionRequestSchema, 'input');
  const properties = schema.properties as Record<string, JsonSchema>;
  properties.notificationUrl = {
    ...properties.notificationUrl,
    'x-ms-notification-url': true,
    'x-ms-visibility': 'internal',
  };
  return schema;
}

export function apiDefinition(): Record<string, unknown> {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, spec] of Object.entries(ROUTES) as [RouteName, (typeof ROUTES)[RouteName]][]) {
    const operation = OPERATIONS[name];
    if (!operation) continue;
    paths[`/${spec.route}`] = {
      ...paths[`/${spec.route}`],
      [spec.method.toLowerCase()]: operation,
    };
  }
  return {
    swagger: '2.0',
    info: {
      title: 'Referral Gateway',
      description:
        "Create Partner Center referrals (sales leads and co-sell opportunities) through your organization's referral gateway: checked before anything is sent, never created twice.",
      version,
      contact: {
        name: '<your team>',
        url: 'https://<your function app>.azurewebsites.net/api/health',
        email: '<your team e-mail>',
      },
    },
    'x-ms-connector-metadata': [
      { propertyName: 'Website', propertyValue: 'https://<your function app>.azurewebsites.net' },
      { propertyName: 'Privacy policy', propertyValue: '<your privacy policy URL>' },
      { propertyName: 'Categories', propertyValue: 'Sales and CRM' },
    ],
    host: 'your-function-app.azurewebsites.net',
    basePath: '/api',
    schemes: ['https'],
    consumes: ['application/json'],
    produces: ['application/json'],
    securityDefinitions: {
      oauth2_auth: {
        type: 'oauth2',
        flow: 'accessCode',
        authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/authorize',
        tokenUrl: 'https://login.windows.net/common/oauth2/authorize',
        scopes: {},
      },
    },
    security: [{ oauth2_auth: [] }],
    paths,
    definitions: forPowerPlatform({
      ReferralCreateRequest: definition(
        ReferralCreateRequestSchema,
        'input',
        example('seed-shared-referral.json'),
      ),
      Referral: definition(ReferralSchema, 'output', example('seed-referral-response.json')),
      CreatedReferral: definition(CreatedReferralSchema, 'output'),
      SharedReferralOutcome: definition(SharedReferralOutcomeSchema, 'output'),
      Engagement: definition(EngagementSchema, 'output'),
      ReferralList: definition(ReferralListAnswerSchema, 'output'),
      ReferralPatch: definition(ReferralPatchSchema, 'input'),
      CloseReferral: definition(actionSchemas().Close, 'input'),
      AcceptReferral: definition(actionSchemas().Accept, 'input'),
      DeclineReferral: definition(actionSchemas().Decline, 'input'),
      Registration: definition(actionSchemas().RegisterDeal, 'input'),
      SubscriptionRequest: subscriptionRequest(),
      Subscription: definition(SubscriptionSchema, 'output'),
      SubscriptionList: definition(
        z.object({ value: z.array(SubscriptionSchema) }).describe('Subscriptions.'),
        'output',
      ),
      ReferralNotification: definition(NotificationSchema, 'output'),
      Health: definition(HealthSchema, 'output'),
    }),
  };
}

export function apiDefinitionText(): string {
  return `${JSON.stringify(apiDefinition(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(API_DEFINITION, apiDefinitionText());
  console.log(`Wrote ${API_DEFINITION}`);
}

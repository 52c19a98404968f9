/**
 * Property tests: the seed request mutated at random (values replaced, removed, retyped; keys
 * added, including prototype-pollution ones). The validator never throws and answers either
 * "valid" or a 400 whose details name paths; through the gateway nothing it refuses, and nothing
 * Partner Center would refuse as invalid, reaches the sandbox.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { validateReferralCreateRequest } from '../../../shared/contract/validate';
import { startProduct, type ProductFixture } from '../../support/local-host';
import { seedRequest } from '../../support/seed';

type Json = Record<string, unknown> | unknown[];

/** Every path to a value in the seed, as key lists. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value))
    return value.flatMap((v, i) => [[...prefix, i], ...paths(v, [...prefix, i])]);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
  }
  return [];
}

const SEED_PATHS = paths(seedRequest());

type Mutation =
  | { op: 'replace'; path: number; value: unknown }
  | { op: 'remove'; path: number }
  | { op: 'add'; path: number; key: string; value: unknown };

const hostileKeys = fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'eTag', 'Name');
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('replace' as const),
    path: fc.nat(SEED_PATHS.length - 1),
    value: fc.jsonValue({ maxDepth: 3 }),
  }),
  fc.record({ op: fc.constant('remove' as const), path: fc.nat(SEED_PATHS.length - 1) }),
  fc.record({
    op: fc.constant('add' as const),
    path: fc.nat(SEED_PATHS.length - 1),
    key: fc.oneof(fc.string({ maxLength: 12 }), hostileKeys),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
);

/** Applies the mutations to a fresh seed; the result is JSON text, as a caller would send it. */
function mutatedSeed(mutations: Mutation[]): string {
  const root = seedRequest() as Json;
  for (const m of mutations) {
    const path = SEED_PATHS[m.path] as (string | number)[];
    let parent: unknown = root;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string, unknown>)?.[key];
    if (!parent || typeof parent !== 'object') continue;
    const last = path[path.length - 1] as string;
    const node = parent as Record<string, unknown>;
    if (m.op === 'replace') node[last] = m.value;
    else if (m.op === 'remove') Reflect.deleteProperty(node, last);
    else if (node[last] && typeof node[last] === 'object' && !Array.isArray(node[last])) {
      // defineProperty so that `__proto__` becomes an own key, as JSON.parse makes it.
      Object.defineProperty(node[last], m.key, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return JSON.stringify(root);
}

const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });

test('the validator never throws and answers valid or 400 with paths', () => {
  fc.assert(
    fc.property(mutations, (m) => {
      const result = validateReferralCreateRequest(JSON.parse(mutatedSeed(m)));
      if (result.ok) return;
      expect(result.error.error.code).toBe('invalidRequest');
      expect(result.error.error.details.length).toBeGreaterThan(0);
      for (const detail of result.error.error.details) {
        expect(detail.path).toMatch(/^\$/);
        expect(detail.message.length).toBeGreaterThan(0);
      }
    }),
    { numRuns: 400 },
  );
});

describe('through the gateway (the local host, the flow run by its Durable engine)', () => {
  let product: ProductFixture;
  beforeAll(async () => {
    product = await startProduct();
  }, 60000);
  afterAll(() => product.stop());

  test('refused requests never reach the sandbox; forwarded ones are never invalid there', async () => {
    await fc.assert(
      fc.asyncProperty(mutations, async (m) => {
        const before = product.local.sandbox.createRequests;
        const answer = await product.request('POST', '/api/referrals', {
          body: mutatedSeed(m),
          headers: {
            'content-type': 'application/json',
            'idempotency-key': randomUUID(),
            // A shared referral answers once both steps are done.
            prefer: 'wait=30',
          },
        });
        if (answer.status === 400) {
          const error = (answer.body as { error: { upstream?: unknown; details: unknown[] } })
            .error;
          // A 400 of the gateway's own: Partner Center was not asked.
          expect(error.upstream).toBeUndefined();
          expect(error.details.length).toBeGreaterThan(0);
          expect(product.local.sandbox.createRequests).toBe(before);
        } else {
          // Created: an independent referral, or a shared one with both steps accepted.
          expect(answer.status).toBe(201);
        }
      }),
      { numRuns: 60 },
    );
  }, 120000);
});

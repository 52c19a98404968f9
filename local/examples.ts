/** The seed document's example request, as the project keeps it (scripts/examples/). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SEED_EXAMPLE_FILE = join('scripts', 'examples', 'seed-shared-referral.json');

/** The seed's shared referral (step 1), fresh each call. */
export function seedExample(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '..', SEED_EXAMPLE_FILE), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** A shared referral sent as an independent one: no target, type Independent. */
export function asIndependent(request: Record<string, unknown>): Record<string, unknown> {
  const { target: _target, ...rest } = request;
  return { ...rest, type: 'Independent' };
}

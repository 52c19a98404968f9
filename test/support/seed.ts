import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asIndependent } from '../../local/examples';

const SAMPLES = join(__dirname, '..', '..', '..', 'shared', 'samples');

/** The seed document's request example (a shared referral, step 1), fresh each call. */
export function seedRequest(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SAMPLES, 'seed-create-shared-request.json'), 'utf8'));
}

/** The seed document's response example (the referral Partner Center created). */
export function seedResponse(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SAMPLES, 'seed-create-response.json'), 'utf8'));
}

/** The seed request sent as an independent referral (no target). */
export function independentSeedRequest(): Record<string, unknown> {
  return asIndependent(seedRequest());
}

type Json = Record<string, unknown>;

/** Sets a value at a dotted path with [n] indexes, e.g. `customerProfile.team[0].email`. */
export function setPath(target: Json, path: string, value: unknown): Json {
  const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let node: Json = target;
  for (const key of keys.slice(0, -1)) node = node[key] as Json;
  const last = keys[keys.length - 1] as string;
  if (value === undefined) Reflect.deleteProperty(node, last);
  else node[last] = value;
  return target;
}

const MICROSOFT = join(SAMPLES, 'microsoft');

/** One of Microsoft's published examples (`../shared/samples/microsoft/`), fresh each call. */
export function microsoftSample(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(MICROSOFT, file), 'utf8'));
}

/** Every referral in Microsoft's published get, list and update answers, named by file. */
export function publishedReferralAnswers(): [string, unknown][] {
  const files = readdirSync(MICROSOFT).filter((f) =>
    /^(get-by-id.*|list.*|put-update-2019)\.response\.json$/.test(f),
  );
  return files.flatMap((file) => {
    const body = microsoftSample(file);
    const value = body.value;
    return Array.isArray(value)
      ? value.map((item, i): [string, unknown] => [`${file} value[${i}]`, item])
      : [[file, body] as [string, unknown]];
  });
}

/** The published create requests the product must accept. */
export const PUBLISHED_CREATE_REQUESTS = [
  'create-shared-2019.request.json',
  'create-private-deal-current.reconstructed.json',
] as const;

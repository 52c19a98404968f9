/**
 * An update of a referral as Partner Center takes it: a JSON Patch document (RFC 6902) of `add`
 * and `replace` operations only ("Update a referral", 2020). Every path is resolved against the
 * contract (names matched case-insensitively, an unknown name judged by the forward-compatibility
 * rule), every value validated by the contract's schema for that place, and the result checked by
 * the status table against the referral's current state. Pure; no I/O.
 */
import * as z from 'zod';
import { canonicalize, isPlainObject, unwrap } from './canonicalize';
import type { ErrorDetail, ErrorEnvelope } from './errors';
import { formatJsonPath, type PathSegment } from './json-path';
import { DEFAULT_POLICY, type ReferralPolicy } from './policy';
import { contractMeta, requestSchemas, SERVICE_SET_PROPERTIES, type Referral } from './schema';
import { checkStatusTransition, STATUS_TABLE, type TableStatus } from './status-rules';
import { likelyMistakeFor, WELL_FORMED_NAME } from './suggest';
import { detailFromIssue, validationError } from './validate';

export const PATCH_OPERATIONS = ['add', 'replace'] as const;
export type PatchOperationName = (typeof PATCH_OPERATIONS)[number];

/** One operation, canonical: the path in the contract's spelling, the value validated. */
export interface ReferralPatchOperation {
  op: PatchOperationName;
  path: string;
  value: unknown;
}

/** The patch document as the connector describes it (the checks are `validateReferralPatch`). */
export const ReferralPatchSchema = z
  .array(
    z.object({
      op: z
        .enum(PATCH_OPERATIONS)
        .describe("'replace' a value, or 'add' one (add /team/- appends)."),
      path: z
        .string()
        .describe('A JSON Pointer to the property, e.g. /details/dealValue, /status, /team/-.'),
      value: z.unknown().describe('The new value, as the referral holds it there.'),
    }),
  )
  .describe('A JSON Patch document: add and replace operations only, as Partner Center takes.');

/** More than this in one request is refused: a flow changes a few fields at a time. */
export const MAX_PATCH_OPERATIONS = 50;
const MAX_POINTER_LENGTH = 512;

const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Top-level properties an update cannot reach, with the reason given to the caller. */
const NOT_UPDATABLE: ReadonlyMap<string, string> = new Map(
  [
    ...SERVICE_SET_PROPERTIES.map((name) => [name, 'is set by Partner Center'] as const),
    ['engagementId', 'is fixed when the referral is created (it names the engagement)'],
    ['type', 'is fixed when the referral is created (Independent or Shared)'],
    [
      'dealType',
      'is a gateway field of creates only; update the consent flags or the help code instead',
    ],
  ].map(([name, reason]) => [name.toLowerCase(), reason]),
);

export type PatchValidation =
  | { ok: true; value: ReferralPatchOperation[]; forwarded: string[] }
  | { ok: false; error: ErrorEnvelope };

const NUMERIC_TEXT = /^\s*\d+(\.\d+)?\s*$/;

/** `~1` is `/` and `~0` is `~` inside a JSON Pointer segment (RFC 6901). */
const decodeSegment = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');
const encodeSegment = (s: PathSegment) => String(s).replace(/~/g, '~0').replace(/\//g, '~1');
export const pointerOf = (segments: readonly PathSegment[]) =>
  segments.map((s) => `/${encodeSegment(s)}`).join('');

/** A JSON Pointer split into its segments, or undefined when it is not one. */
export function pointerSegments(pointer: string): string[] | undefined {
  if (!pointer.startsWith('/')) return undefined;
  return pointer.slice(1).split('/').map(decodeSegment);
}

interface Resolved {
  segments: PathSegment[];
  schema: z.ZodType;
  /** The path below a property the contract does not know (forwarded as sent). */
  forwarded?: string;
}

/** Walks a pointer down the update schema; a detail says where and why it cannot go. */
function resolve(
  root: z.ZodObject,
  raw: string[],
  op: PatchOperationName,
  at: PathSegment[],
): Resolved | ErrorDetail {
  const problem = (code: string, message: string): ErrorDetail => ({
    path: formatJsonPath([...at, 'path']),
    code,
    message,
  });
  let schema: z.ZodType = root;
  const segments: PathSegment[] = [];
  let forwarded: string | undefined;
  for (const [index, segment] of raw.entries()) {
    const last = index === raw.length - 1;
    if (FORBIDDEN_NAMES.has(segment)) {
      return problem('forbiddenProperty', `property name '${segment}' is not allowed`);
    }
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) {
      const shape = inner.shape as Record<string, z.ZodType>;
      const known = Object.keys(shape);
      const lookup = new Map(known.map((name) => [name.toLowerCase(), name]));
      for (const [alias, name] of Object.entries(contractMeta.get(inner)?.aliases ?? {})) {
        lookup.set(alias.toLowerCase(), name);
      }
      const canonical = lookup.get(segment.toLowerCase());
      if (index === 0) {
        const reason = NOT_UPDATABLE.get(segment.toLowerCase());
        if (reason)
          return problem('readOnlyProperty', `'${segment}' ${reason} and cannot be updated`);
      }
      if (canonical) {
        segments.push(canonical);
        schema = shape[canonical] as z.ZodType;
        continue;
      }
      const mistakeFor = likelyMistakeFor(segment, known);
      if (mistakeFor) {
        return problem(
          'unknownProperty',
          `unknown property '${segment}'; did you mean '${mistakeFor}'?`,
        );
      }
      if (!WELL_FORMED_NAME.test(segment)) {
        return problem(
          'invalidPropertyName',
          `'${segment}' is not a property name Partner Center uses: letters and digits only, starting with a letter (at most 64)`,
        );
      }
      segments.push(segment);
      forwarded ??= formatJsonPath(segments);
      schema = z.unknown();
      continue;
    }
    if (inner instanceof z.ZodArray) {
      if (segment === '-') {
        if (!last || op !== 'add') {
          return problem(
            'invalidPath',
            "'-' (the end of a list) can only be the last segment of an 'add', e.g. add /team/-",
          );
        }
        segments.push('-');
      } else if (/^(0|[1-9]\d{0,5})$/.test(segment)) {
        segments.push(Number(segment));
      } else {
        return problem(
          'invalidPath',
          `'${segment}' is not a list position: use a number from 0, or '-' to add at the end`,
        );
      }
      schema = inner.element as z.ZodType;
      continue;
    }
    if (inner instanceof z.ZodUnknown) {
      // Below a forwarded property: the service's own shape, not ours to judge.
      segments.push(/^(0|[1-9]\d{0,5})$/.test(segment) ? Number(segment) : segment);
      continue;
    }
    return problem(
      'invalidPath',
      `${formatJsonPath(segments)} is a single value; a path cannot go inside it`,
    );
  }
  return { segments, schema, ...(forwarded ? { forwarded } : {}) };
}

/**
 * A JSON Patch document checked against the contract: the canonical operations, the paths of
 * properties the contract does not know (forwarded as sent), or every problem with its place.
 */
export function validateReferralPatch(
  input: unknown,
  policy: ReferralPolicy = DEFAULT_POLICY,
): PatchValidation {
  const fail = (details: ErrorDetail[]): PatchValidation => ({
    ok: false,
    error: validationError(details, 'patch'),
  });
  if (!Array.isArray(input)) {
    return fail([
      {
        path: '$',
        code: 'invalidType',
        message:
          'must be a JSON Patch document: an array of operations such as [{"op":"replace","path":"/details/dealValue","value":10000}]',
      },
    ]);
  }
  if (input.length === 0) {
    return fail([{ path: '$', code: 'empty', message: 'must contain at least one operation' }]);
  }
  if (input.length > MAX_PATCH_OPERATIONS) {
    return fail([
      {
        path: '$',
        code: 'tooMany',
        message: `must have at most ${MAX_PATCH_OPERATIONS} operations (gateway limit); send the rest in another update`,
      },
    ]);
  }
  const root = requestSchemas(policy).ReferralUpdate;
  const details: ErrorDetail[] = [];
  const forwarded: string[] = [];
  const operations: ReferralPatchOperation[] = [];
  input.forEach((entry: unknown, index) => {
    const at: PathSegment[] = [index];
    if (!isPlainObject(entry)) {
      details.push({
        path: formatJsonPath(at),
        code: 'invalidType',
        message: 'must be an object with op, path and value',
      });
      return;
    }
    const { op, path } = entry;
    if (op !== 'add' && op !== 'replace') {
      details.push({
        path: formatJsonPath([...at, 'op']),
        code: op === undefined ? 'required' : 'unsupportedOperation',
        message:
          op === undefined
            ? "is required: 'add' or 'replace'"
            : `must be 'add' or 'replace', the only operations Partner Center takes; to clear a value, replace it with an empty one`,
      });
      return;
    }
    const segments = typeof path === 'string' ? pointerSegments(path) : undefined;
    if (!segments || segments.length === 0 || segments.some((s) => s === '')) {
      details.push({
        path: formatJsonPath([...at, 'path']),
        code: path === undefined ? 'required' : 'invalidPath',
        message: 'must be a JSON Pointer to a property, e.g. /details/dealValue or /team/-',
      });
      return;
    }
    if ((path as string).length > MAX_POINTER_LENGTH) {
      details.push({
        path: formatJsonPath([...at, 'path']),
        code: 'tooLong',
        message: `must be at most ${MAX_POINTER_LENGTH} characters`,
      });
      return;
    }
    const resolved = resolve(root, segments, op, at);
    if (!('segments' in resolved)) {
      details.push(resolved);
      return;
    }
    if (!('value' in entry)) {
      details.push({
        path: formatJsonPath([...at, 'value']),
        code: 'required',
        message: 'is required: the new value',
      });
      return;
    }
    if (resolved.forwarded) forwarded.push(resolved.forwarded);
    let value = entry.value;
    // Microsoft's own example sends the deal value as text ("10000"); the service stores a number.
    if (unwrap(resolved.schema) instanceof z.ZodNumber && typeof value === 'string') {
      if (NUMERIC_TEXT.test(value)) value = Number(value);
    }
    const valueAt = [...at, 'value'];
    const canonical = canonicalize(resolved.schema, value, { at: valueAt });
    details.push(...canonical.issues);
    forwarded.push(...canonical.forwarded);
    if (value === null) {
      details.push({
        path: formatJsonPath(valueAt),
        code: 'invalidType',
        message: 'must not be null; to clear a text, replace it with an empty one',
      });
      return;
    }
    const parsed = resolved.schema.safeParse(canonical.value, { reportInput: true });
    if (!parsed.success) {
      details.push(
        ...parsed.error.issues.map((issue) =>
          detailFromIssue({ ...issue, path: [...valueAt, ...issue.path] }),
        ),
      );
      return;
    }
    operations.push({ op, path: pointerOf(resolved.segments), value: canonical.value });
  });
  if (details.length > 0) return fail(details);
  return { ok: true, value: operations, forwarded };
}

type Node = Record<string, unknown> | unknown[];

/**
 * The referral as it would be after the operations (a copy). Missing containers on the way are
 * made (an `add /team/-` to a referral without a team starts one); a position past the end of a
 * list is a problem.
 */
export function applyReferralPatch(
  referral: Referral,
  operations: readonly ReferralPatchOperation[],
): { ok: true; value: Referral } | { ok: false; details: ErrorDetail[] } {
  const next = structuredClone(referral) as Record<string, unknown>;
  const details: ErrorDetail[] = [];
  operations.forEach((operation, index) => {
    const segments = pointerSegments(operation.path) ?? [];
    let node: Node = next;
    for (const [i, segment] of segments.entries()) {
      const last = i === segments.length - 1;
      if (Array.isArray(node)) {
        const position = segment === '-' ? node.length : Number(segment);
        const bound = operation.op === 'add' ? node.length : node.length - 1;
        if (!Number.isInteger(position) || position > bound) {
          details.push({
            path: formatJsonPath([index, 'path']),
            code: 'indexOutOfRange',
            message: `the list has ${node.length} entries; ${operation.op === 'add' ? "add at a position up to its length, or at '-'" : 'replace an existing position'}`,
          });
          return;
        }
        if (last) {
          if (operation.op === 'add') node.splice(position, 0, structuredClone(operation.value));
          else node[position] = structuredClone(operation.value);
          return;
        }
        node = containerAt(node, position, segments[i + 1] as string);
      } else {
        if (last) {
          node[segment] = structuredClone(operation.value);
          return;
        }
        node = containerAt(node, segment, segments[i + 1] as string);
      }
    }
  });
  return details.length > 0 ? { ok: false, details } : { ok: true, value: next as Referral };
}

function containerAt(node: Node, key: string | number, nextSegment: string): Node {
  const current = (node as Record<string | number, unknown>)[key];
  if (Array.isArray(current) || isPlainObject(current)) return current;
  const made: Node = nextSegment === '-' || /^\d+$/.test(nextSegment) ? [] : {};
  (node as Record<string | number, unknown>)[key] = made;
  return made;
}

const touches = (operations: readonly ReferralPatchOperation[], name: string) =>
  operations.some((o) => o.path === `/${name}`);

/**
 * The rules that span fields, on the referral as it would be: the status table against its
 * current status (when status or substatus changes), a currency for a deal value.
 */
export function checkUpdatedReferral(
  current: Referral,
  next: Referral,
  operations: readonly ReferralPatchOperation[],
): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  if (touches(operations, 'status') || touches(operations, 'substatus')) {
    const from = current.status ?? 'None';
    const to = next.status ?? from;
    const rule = checkStatusTransition(from, to, next.substatus ?? undefined);
    if (!rule.ok) {
      const onSubstatus = rule.code === 'invalidStatusPair' || rule.code === 'statusRequired';
      const allowed =
        to !== 'None' && rule.code === 'invalidStatusPair'
          ? ` (replace /substatus too: with '${to}' use ${STATUS_TABLE[to as TableStatus].substatuses.join(', ')})`
          : '';
      details.push({
        path: formatJsonPath([onSubstatus ? 'substatus' : 'status']),
        code: rule.code,
        message: `${rule.message}${allowed}`,
      });
    }
  }
  const dealValue = next.details?.dealValue;
  if (dealValue !== undefined && dealValue !== null && !next.details?.currency) {
    details.push({
      path: '$.details.currency',
      code: 'required',
      message: 'is required when details.dealValue is set: add /details/currency too',
    });
  }
  return details;
}

/**
 * Whether the referral shows every operation's effect: after an update whose answer was lost, it
 * tells "ours was applied" from "someone else changed it". A value counts as shown when every
 * property sent is there with the same value (the service may add its own), an added list entry
 * when the list holds such an entry.
 */
export function showsPatch(
  referral: Referral,
  operations: readonly ReferralPatchOperation[],
): boolean {
  return operations.every((operation) => {
    const segments = pointerSegments(operation.path) ?? [];
    const appended = segments[segments.length - 1] === '-';
    const inList = appended || (operation.op === 'add' && /^\d+$/.test(segments.at(-1) ?? ''));
    const target = valueAtPointer(referral, inList ? segments.slice(0, -1) : segments);
    if (inList) {
      return Array.isArray(target) && target.some((entry) => contains(entry, operation.value));
    }
    return contains(target, operation.value);
  });
}

function valueAtPointer(root: unknown, segments: readonly string[]): unknown {
  let node: unknown = root;
  for (const segment of segments) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isPlainObject(node)) node = node[segment];
    else return undefined;
  }
  return node;
}

function contains(actual: unknown, expected: unknown): boolean {
  if (isPlainObject(expected)) {
    return (
      isPlainObject(actual) &&
      Object.entries(expected).every(([key, value]) => contains(actual[key], value))
    );
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((value, i) => contains(actual[i], value))
    );
  }
  return actual === expected;
}

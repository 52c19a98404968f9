/**
 * Friendly input, canonical output. Walks a request alongside its zod schema and rewrites it into
 * the exact camelCase shape Partner Center expects: property names are matched case-insensitively
 * (so the documentation's PascalCase works) and through declared aliases, enum values are matched
 * case-insensitively, and codes marked `upperCase` are upper-cased. A property the contract does
 * not know is judged by the forward-compatibility rule (`suggest.ts`): a likely mistake for a known
 * name is reported with the suggestion; a plausible new name is kept as sent and listed in
 * `forwarded`. Duplicate and dangerous names are reported, each with its path.
 */
import * as z from 'zod';
import type { ErrorDetail } from './errors';
import { formatJsonPath, type PathSegment } from './json-path';
import { contractMeta } from './schema';
import { likelyMistakeFor, WELL_FORMED_NAME } from './suggest';

/** Names that could reach an object's prototype if they were ever merged into one. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

export interface CanonicalizeOptions {
  /** Per object schema: names the service sets, with the reason a caller may not send them. */
  readOnly?: ReadonlyMap<z.ZodType, readonly string[]>;
  /** Where the input sits in a larger document (a patch operation's value), for the paths. */
  at?: PathSegment[];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema inside optional, nullable, default and pipe wrappers. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      return current;
    }
  }
}

function metaOf(schema: z.ZodType) {
  return contractMeta.get(schema);
}

export function canonicalize(
  schema: z.ZodType,
  input: unknown,
  options: CanonicalizeOptions = {},
): { value: unknown; issues: ErrorDetail[]; forwarded: string[] } {
  const issues: ErrorDetail[] = [];
  /** JSON paths of unknown properties kept as sent. */
  const forwarded: string[] = [];

  /** A forwarded value may hold anything JSON can, except names that reach a prototype. */
  const checkForwarded = (value: unknown, path: PathSegment[]): void => {
    if (Array.isArray(value)) value.forEach((item, i) => checkForwarded(item, [...path, i]));
    else if (isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (FORBIDDEN_NAMES.has(key)) issues.push(forbidden(key, [...path, key]));
        else checkForwarded(item, [...path, key]);
      }
    }
  };

  const walk = (outer: z.ZodType, value: unknown, path: PathSegment[]): unknown => {
    const normalize = metaOf(outer)?.normalize;
    const inner = unwrap(outer);
    if ((normalize ?? metaOf(inner)?.normalize) === 'upperCase' && typeof value === 'string') {
      return value.toUpperCase();
    }
    if (inner instanceof z.ZodObject && isPlainObject(value)) {
      return walkObject(inner, value, path);
    }
    if (inner instanceof z.ZodUnknown) {
      checkForwarded(value, path);
      return value;
    }
    if (inner instanceof z.ZodArray && Array.isArray(value)) {
      return value.map((item, index) => walk(inner.element as z.ZodType, item, [...path, index]));
    }
    if (inner instanceof z.ZodUnion) {
      const options = inner.options as readonly z.ZodType[];
      const match = options.find((option) => {
        const o = unwrap(option);
        return Array.isArray(value) ? o instanceof z.ZodArray : o instanceof z.ZodObject;
      });
      return match ? walk(match, value, path) : value;
    }
    if (inner instanceof z.ZodEnum && typeof value === 'string') {
      const wanted = value.trim().toLowerCase();
      const match = (inner.options as readonly (string | number)[]).find(
        (option) => String(option).toLowerCase() === wanted,
      );
      return match ?? value;
    }
    return value;
  };

  const walkObject = (
    schema: z.ZodObject,
    value: Record<string, unknown>,
    path: PathSegment[],
  ): Record<string, unknown> => {
    const shape = schema.shape as Record<string, z.ZodType>;
    const known = Object.keys(shape);
    const aliases = metaOf(schema)?.aliases ?? {};
    const readOnly = options.readOnly?.get(schema) ?? [];
    const lookup = new Map<string, string>();
    for (const name of known) lookup.set(name.toLowerCase(), name);
    for (const [alias, name] of Object.entries(aliases)) lookup.set(alias.toLowerCase(), name);

    const out: Record<string, unknown> = {};
    const seenAs = new Map<string, string>();
    for (const [key, item] of Object.entries(value)) {
      const here = [...path, key];
      if (FORBIDDEN_NAMES.has(key)) {
        issues.push(forbidden(key, here));
        continue;
      }
      const canonical = lookup.get(key.toLowerCase());
      if (canonical === undefined) {
        const refusal = unknownProperty(key, here, known, readOnly);
        if (refusal) {
          issues.push(refusal);
        } else {
          checkForwarded(item, here);
          forwarded.push(formatJsonPath(here));
          out[key] = item;
        }
        continue;
      }
      const earlier = seenAs.get(canonical);
      if (earlier !== undefined) {
        issues.push({
          path: formatJsonPath(here),
          code: 'duplicateProperty',
          message: `'${key}' and '${earlier}' both set '${canonical}'; send it once`,
        });
        continue;
      }
      seenAs.set(canonical, key);
      const fieldSchema = shape[canonical];
      out[canonical] = fieldSchema ? walk(fieldSchema, item, [...path, canonical]) : item;
    }
    return out;
  };

  const value = walk(schema, input, options.at ?? []);
  return { value, issues, forwarded };
}

function forbidden(key: string, path: PathSegment[]): ErrorDetail {
  return {
    path: formatJsonPath(path),
    code: 'forbiddenProperty',
    message: `property name '${key}' is not allowed`,
  };
}

/** Why an unknown property is refused; undefined when it is forwarded as a new property. */
function unknownProperty(
  key: string,
  path: PathSegment[],
  known: readonly string[],
  readOnly: readonly string[],
): ErrorDetail | undefined {
  const where = formatJsonPath(path);
  if (readOnly.some((name) => name.toLowerCase() === key.toLowerCase())) {
    return {
      path: where,
      code: 'readOnlyProperty',
      message: `'${key}' is set by Partner Center and cannot be sent when creating a referral; remove it`,
    };
  }
  const mistakeFor = likelyMistakeFor(key, known);
  if (mistakeFor) {
    return {
      path: where,
      code: 'unknownProperty',
      message: `unknown property '${key}'; did you mean '${mistakeFor}'?`,
    };
  }
  if (!WELL_FORMED_NAME.test(key)) {
    return {
      path: where,
      code: 'invalidPropertyName',
      message: `'${key}' is not a property name Partner Center uses: letters and digits only, starting with a letter (at most 64)`,
    };
  }
  return undefined;
}

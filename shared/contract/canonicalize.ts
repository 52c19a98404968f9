/**
 * Friendly input, canonical output. Walks a request alongside its zod schema and rewrites it into
 * the exact camelCase shape Partner Center expects: property names are matched case-insensitively
 * (so the documentation's PascalCase works) and through declared aliases, enum values are matched
 * case-insensitively, and codes marked `upperCase` are upper-cased. Unknown, duplicate and
 * dangerous property names are reported, each with its path, instead of being passed on.
 */
import { z } from 'zod';
import type { ErrorDetail } from './errors';
import { formatJsonPath, type PathSegment } from './json-path';
import { contractMeta } from './schema';
import { closestName } from './suggest';

/** Names that could reach an object's prototype if they were ever merged into one. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

export interface CanonicalizeOptions {
  /** Per object schema: names the service sets, with the reason a caller may not send them. */
  readOnly?: ReadonlyMap<z.ZodType, readonly string[]>;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unwrap(schema: z.ZodType): z.ZodType {
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
): { value: unknown; issues: ErrorDetail[] } {
  const issues: ErrorDetail[] = [];

  const walk = (outer: z.ZodType, value: unknown, path: PathSegment[]): unknown => {
    const normalize = metaOf(outer)?.normalize;
    const inner = unwrap(outer);
    if ((normalize ?? metaOf(inner)?.normalize) === 'upperCase' && typeof value === 'string') {
      return value.toUpperCase();
    }
    if (inner instanceof z.ZodObject && isPlainObject(value)) {
      return walkObject(inner, value, path);
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
        issues.push({
          path: formatJsonPath(here),
          code: 'forbiddenProperty',
          message: `property name '${key}' is not allowed`,
        });
        continue;
      }
      const canonical = lookup.get(key.toLowerCase());
      if (canonical === undefined) {
        issues.push(unknownProperty(key, here, known, readOnly));
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

  const value = walk(schema, input, []);
  return { value, issues };
}

function unknownProperty(
  key: string,
  path: PathSegment[],
  known: readonly string[],
  readOnly: readonly string[],
): ErrorDetail {
  const where = formatJsonPath(path);
  if (readOnly.some((name) => name.toLowerCase() === key.toLowerCase())) {
    return {
      path: where,
      code: 'readOnlyProperty',
      message: `'${key}' is set by Partner Center and cannot be sent when creating a referral; remove it`,
    };
  }
  const suggestion = closestName(key, known);
  const hint = suggestion ? `did you mean '${suggestion}'?` : `allowed here: ${known.join(', ')}`;
  return { path: where, code: 'unknownProperty', message: `unknown property '${key}'; ${hint}` };
}

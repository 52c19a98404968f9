/**
 * Reads a JSON request body defensively: the content type must be JSON, the size is capped before
 * anything is parsed, and a syntax error is answered with its position, never with the text.
 */
import type { HttpRequest } from '@azure/functions';
import { errorBody } from '../contract/errors';
import { lineAndColumn, locateJsonError } from './json-locate';
import { HttpFailure } from './responses';

export const MAX_BODY_BYTES = 1024 * 1024;
/** A referral nests five levels at most; anything far deeper is hostile. */
export const MAX_NESTING_DEPTH = 32;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

function requestError(status: number, code: string, message: string): HttpFailure {
  return new HttpFailure(status, errorBody(code, message, 'request'));
}

export async function readJsonBody(
  request: HttpRequest,
  maxBytes = MAX_BODY_BYTES,
): Promise<unknown> {
  const contentType = request.headers.get('content-type');
  if (!contentType || !JSON_TYPE.test(contentType.trim())) {
    throw requestError(
      415,
      'unsupportedMediaType',
      `Content-Type must be application/json (optionally with charset=utf-8); got ${contentType ? `'${contentType.slice(0, 100)}'` : 'none'}.`,
    );
  }
  const tooLarge = () =>
    requestError(413, 'payloadTooLarge', `The body must be at most ${maxBytes} bytes (1 MiB).`);
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();

  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  if (text.trim() === '')
    throw requestError(400, 'invalidJson', 'The body is empty; send the referral as JSON.');
  const { tooDeepAt } = nesting(text, MAX_NESTING_DEPTH);
  if (tooDeepAt !== undefined) {
    throw new HttpFailure(
      400,
      errorBody(
        'nestingTooDeep',
        `The body nests objects and arrays more than ${MAX_NESTING_DEPTH} levels deep, at ${tooDeepAt}.`,
        'request',
        [
          {
            path: tooDeepAt,
            code: 'nestingTooDeep',
            message: `holds a value nested more than ${MAX_NESTING_DEPTH} levels deep`,
          },
        ],
      ),
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const position = Math.max(0, locateJsonError(text));
    const { line, column } = lineAndColumn(text, position);
    throw new HttpFailure(
      400,
      errorBody(
        'invalidJson',
        `The body is not valid JSON: syntax error at line ${line}, column ${column} (position ${position}).`,
        'request',
        [
          {
            path: '$',
            code: 'invalidJson',
            message: `syntax error at line ${line}, column ${column} (position ${position})`,
          },
        ],
      ),
    );
  }
}

interface Level {
  array: boolean;
  /** Objects: the last property name read; arrays: the index of the current element. */
  key: string | number;
}

/**
 * How deep objects and arrays nest in JSON text (strings skipped), counted up to past `limit`,
 * and the JSONPath of the first container that went past it: found in the same single pass,
 * without parsing the body. (On malformed JSON the path is a best effort; the parser reports it.)
 */
export function nesting(text: string, limit: number): { depth: number; tooDeepAt?: string } {
  const stack: Level[] = [];
  let deepest = 0;
  let stringStart = -1;
  let lastString: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (stringStart >= 0) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) {
        lastString = text.slice(stringStart, i);
        stringStart = -1;
      }
      continue;
    }
    const top = stack[stack.length - 1];
    if (c === 0x22) stringStart = i + 1;
    else if (c === 0x3a && top && !top.array && lastString !== undefined) {
      top.key = safeKey(lastString); // ':' follows a property name
    } else if (c === 0x2c && top?.array) top.key = (top.key as number) + 1;
    else if (c === 0x7b || c === 0x5b) {
      stack.push({ array: c === 0x5b, key: c === 0x5b ? 0 : '' });
      if (stack.length > deepest) deepest = stack.length;
      if (deepest > limit) return { depth: deepest, tooDeepAt: pathOf(stack.slice(0, -1)) };
    } else if (c === 0x7d || c === 0x5d) stack.pop();
    if (c !== 0x22)
      lastString = c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 ? lastString : undefined;
  }
  return { depth: deepest };
}

/** A property name as it may appear in a path: JSON unescaped where possible, bounded. */
function safeKey(raw: string): string {
  try {
    return (JSON.parse(`"${raw}"`) as string).slice(0, 64);
  } catch {
    return raw.slice(0, 64);
  }
}

function pathOf(levels: Level[]): string {
  return levels.reduce<string>(
    (path, level) =>
      typeof level.key === 'number'
        ? `${path}[${level.key}]`
        : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(level.key)
          ? `${path}.${level.key}`
          : `${path}[${JSON.stringify(level.key)}]`,
    '$',
  );
}

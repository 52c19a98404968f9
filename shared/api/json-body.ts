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
  if (nestingDepth(text, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
    throw requestError(
      400,
      'nestingTooDeep',
      `The body nests objects and arrays more than ${MAX_NESTING_DEPTH} levels deep.`,
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

/** How deep objects and arrays nest in JSON text (strings skipped), counted up to past `limit`. */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

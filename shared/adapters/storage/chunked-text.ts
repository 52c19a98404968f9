/**
 * Long text in one table entity: a string property holds at most 64 KiB (32K UTF-16 characters),
 * so the text is split across `chunk0..chunkN` with a `chunks` count. An entity holds at most
 * 1 MiB in all (Azure's limits; Azurite does not enforce them): 16 chunks of 30,000 characters
 * are 960,000 bytes, leaving room for the entity's other properties.
 */
const CHUNK_CHARS = 30000;
export const MAX_CHUNKED_CHARS = 16 * CHUNK_CHARS;

export type ChunkedText = { chunks: number } & Record<string, unknown>;

/** Text more than one table entity can hold. */
export class EntityTooLarge extends Error {
  override name = 'EntityTooLarge';
}

export function toChunks(text: string): ChunkedText {
  return toNamedChunks(text, 'chunk') as ChunkedText;
}

export function fromChunks(entity: Record<string, unknown>): string | undefined {
  return fromNamedChunks(entity, 'chunk');
}

/**
 * The text as properties `<prefix>0..N` with their count in `<prefix>s`, so one entity can hold
 * two texts under two prefixes (`chunk` is the default text's).
 */
export function toNamedChunks(text: string, prefix: string): Record<string, unknown> {
  const chunks = Math.ceil(text.length / CHUNK_CHARS);
  if (text.length > MAX_CHUNKED_CHARS) {
    throw new EntityTooLarge(
      `${text.length} characters do not fit one table entity (at most ${MAX_CHUNKED_CHARS})`,
    );
  }
  const out: Record<string, unknown> = { [`${prefix}s`]: chunks };
  for (let i = 0; i < chunks; i++) {
    out[`${prefix}${i}`] = text.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
  }
  return out;
}

export function fromNamedChunks(
  entity: Record<string, unknown>,
  prefix: string,
): string | undefined {
  const chunks = Number(entity[`${prefix}s`] ?? 0);
  if (!chunks) return undefined;
  const parts: string[] = [];
  for (let i = 0; i < chunks; i++) parts.push(String(entity[`${prefix}${i}`] ?? ''));
  return parts.join('');
}

/** Properties that empty a named text once stored (a merge cannot remove properties). */
export function emptiedNamedChunks(text: string, prefix: string): Record<string, unknown> {
  const count = Math.ceil(text.length / CHUNK_CHARS);
  const out: Record<string, unknown> = { [`${prefix}s`]: 0 };
  for (let i = 0; i < count; i++) out[`${prefix}${i}`] = '';
  return out;
}

/**
 * Long text in one table entity: a string property holds at most 32K characters, so the text is
 * split across `chunk0..chunkN` with a `chunks` count (an entity holds at most 1 MiB in all).
 */
const CHUNK_CHARS = 30000;
const MAX_CHUNKS = 30;

export type ChunkedText = { chunks: number } & Record<string, unknown>;

export function toChunks(text: string): ChunkedText {
  const chunks = Math.ceil(text.length / CHUNK_CHARS);
  if (chunks > MAX_CHUNKS) throw new Error('Text too large for one table entity');
  const out: ChunkedText = { chunks };
  for (let i = 0; i < chunks; i++)
    out[`chunk${i}`] = text.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
  return out;
}

export function fromChunks(entity: Record<string, unknown>): string | undefined {
  const chunks = Number(entity.chunks ?? 0);
  if (!chunks) return undefined;
  const parts: string[] = [];
  for (let i = 0; i < chunks; i++) parts.push(String(entity[`chunk${i}`] ?? ''));
  return parts.join('');
}

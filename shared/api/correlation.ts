/** A correlation id per request: the caller's, if it sent a usable one, else a new one. */
import { randomUUID } from 'node:crypto';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

export function correlationIdFrom(headers: { get(name: string): string | null }): string {
  const given = headers.get('x-correlation-id')?.trim();
  if (given && SAFE_ID.test(given)) return given;
  const traceId = TRACEPARENT.exec(headers.get('traceparent')?.trim() ?? '')?.[1];
  if (traceId && !/^0+$/.test(traceId)) return traceId;
  return randomUUID();
}

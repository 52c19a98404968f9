import { GatewayError } from '../../../shared/contract/errors';
import { idempotencyKeyFor } from '../../../shared/application/idempotency-key';

const headers = (values: Record<string, string> = {}) => new Headers(values);

test('the Idempotency-Key header wins over externalReferenceId', () => {
  expect(
    idempotencyKeyFor(headers({ 'Idempotency-Key': ' abc-123 ' }), {
      type: 'Independent',
      externalReferenceId: 'lead-1',
    }),
  ).toEqual({ value: 'abc-123', source: 'header' });
});

test('externalReferenceId with the type is the key when there is no header', () => {
  expect(
    idempotencyKeyFor(headers(), { type: 'Independent', externalReferenceId: 'lead-1' }),
  ).toEqual({ value: 'Independent:lead-1', source: 'externalReferenceId' });
});

test('no header and no externalReferenceId: no key', () => {
  expect(idempotencyKeyFor(headers(), { type: 'Independent' })).toBeUndefined();
  expect(
    idempotencyKeyFor(headers(), { type: 'Independent', externalReferenceId: '  ' }),
  ).toBeUndefined();
});

test.each([['has space'], ['x'.repeat(256)], ['\u00e9t\u00e9']])(
  'refuses the key %j with a 400',
  (key) => {
    let error: unknown;
    try {
      idempotencyKeyFor(headers({ 'idempotency-key': key }), { type: 'Independent' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(400);
    expect((error as GatewayError).envelope.error).toMatchObject({
      code: 'invalidIdempotencyKey',
      target: 'Idempotency-Key',
    });
  },
);

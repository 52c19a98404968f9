import { Failure } from '../../../shared/contract/errors';
import { idempotencyKeyFor } from '../../../shared/application/idempotency-key';

test('the Idempotency-Key header wins over externalReferenceId', () => {
  expect(
    idempotencyKeyFor(' abc-123 ', {
      type: 'Independent',
      externalReferenceId: 'lead-1',
    }),
  ).toEqual({ value: 'abc-123', source: 'header' });
});

test('externalReferenceId with the type is the key when there is no header', () => {
  expect(idempotencyKeyFor(null, { type: 'Independent', externalReferenceId: 'lead-1' })).toEqual({
    value: 'Independent:lead-1',
    source: 'externalReferenceId',
  });
});

test('no header and no externalReferenceId: no key', () => {
  expect(idempotencyKeyFor(null, { type: 'Independent' })).toBeUndefined();
  expect(
    idempotencyKeyFor(null, { type: 'Independent', externalReferenceId: '  ' }),
  ).toBeUndefined();
});

test.each([['has space'], ['x'.repeat(256)], ['\u00e9t\u00e9']])(
  'refuses the key %j as an invalid request',
  (key) => {
    let error: unknown;
    try {
      idempotencyKeyFor(key, { type: 'Independent' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Failure);
    expect((error as Failure).kind).toBe('invalidRequest');
    expect((error as Failure).body).toMatchObject({
      code: 'invalidIdempotencyKey',
      target: 'Idempotency-Key',
    });
  },
);

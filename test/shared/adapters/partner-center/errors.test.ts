/**
 * Partner Center's error bodies come in more than one shape; what they say reaches the caller
 * whole (bounded, and without anything that looks like a credential), and only a refusal that
 * proves nothing was created is taken as "not created".
 */
import {
  partnerCenterFailure,
  upstreamSaid,
} from '../../../../shared/adapters/partner-center/errors';

test('the documented envelope, with details and an inner error', () => {
  expect(
    upstreamSaid({
      error: {
        code: 'invalidRequest',
        message: 'The referral is invalid.',
        target: 'referral',
        details: [{ code: 'required', target: 'customerProfile.name', message: 'is required' }],
        innerError: { code: 'E42', message: 'validation', token: 'eyJ.secret' },
      },
    }),
  ).toEqual({
    code: 'invalidRequest',
    message: 'The referral is invalid.',
    target: 'referral',
    details: [{ path: 'customerProfile.name', code: 'required', message: 'is required' }],
    innerError: { code: 'E42', message: 'validation' },
  });
});

test('ASP.NET problem details: title and every field error', () => {
  expect(
    upstreamSaid({
      type: 'https://tools.ietf.org/html/rfc7231#section-6.5.1',
      title: 'One or more validation errors occurred.',
      status: 400,
      errors: { 'details.dealValue': ['must be positive'], name: ['too long', 'bad chars'] },
    }),
  ).toEqual({
    code: 'https://tools.ietf.org/html/rfc7231#section-6.5.1',
    message: 'One or more validation errors occurred.',
    details: [
      { path: 'details.dealValue', code: 'upstream', message: 'must be positive' },
      { path: 'name', code: 'upstream', message: 'too long' },
      { path: 'name', code: 'upstream', message: 'bad chars' },
    ],
  });
});

test('plain text, and bounded sizes', () => {
  expect(upstreamSaid('Service Unavailable')).toEqual({ message: 'Service Unavailable' });
  const said = upstreamSaid({
    error: {
      code: 'x',
      message: 'm'.repeat(5000),
      details: Array.from({ length: 80 }, (_, i) => ({ code: 'c', message: `d${i}` })),
      innerError: { blob: 'b'.repeat(10000) },
    },
  });
  expect(said.message).toHaveLength(1024);
  expect(said.details).toHaveLength(50);
  expect(JSON.stringify(said.innerError).length).toBeLessThan(4200);
});

test.each([
  [400, 'rejected', 'no'],
  [404, 'rejected', 'no'],
  [409, 'conflict', 'unknown'],
  [412, 'conflict', 'unknown'],
  [429, 'throttled', 'unknown'],
  [503, 'unavailable', 'unknown'],
])('a %i is %s, created: %s', (status, kind, created) => {
  expect(
    partnerCenterFailure({ kind: 'response', status, body: undefined }, 'create a referral'),
  ).toMatchObject({ kind, created });
});

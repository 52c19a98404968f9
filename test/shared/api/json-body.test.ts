import { HttpRequest } from '@azure/functions';
import { nesting, readJsonBody } from '../../../shared/api/json-body';
import { answerOf } from '../../support/answer-of';

/** An array nested `levels` deep. */
const nested = (levels: number): unknown => (levels === 0 ? [] : [nested(levels - 1)]);

const request = (body: string, headers: Record<string, string>) =>
  new HttpRequest({
    method: 'POST',
    url: 'https://gateway.local/api/referrals',
    headers,
    body: { string: body },
  });

test.each([
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON;charset="UTF-8"',
  'application/merge-patch+json',
])('accepts %s', async (contentType) => {
  await expect(readJsonBody(request('{"a":1}', { 'content-type': contentType }))).resolves.toEqual({
    a: 1,
  });
});

test('a byte order mark is ignored', async () => {
  await expect(
    readJsonBody(request('\uFEFF{"a":1}', { 'content-type': 'application/json' })),
  ).resolves.toEqual({ a: 1 });
});

test('a declared length over the cap is refused before reading', async () => {
  const error = await answerOf(
    readJsonBody(
      request('{}', {
        'content-type': 'application/json',
        'content-length': String(2 * 1024 * 1024),
      }),
    ),
  );
  expect(error.status).toBe(413);
});

test('a streamed body over the cap is refused', async () => {
  const error = await answerOf(
    readJsonBody(request(`"${'x'.repeat(200)}"`, { 'content-type': 'application/json' }), 100),
  );
  expect(error.status).toBe(413);
});

test('other charsets and types are 415, naming what was sent', async () => {
  const latin = await answerOf(
    readJsonBody(request('{}', { 'content-type': 'application/json; charset=latin1' })),
  );
  expect(latin.status).toBe(415);
  expect(latin.message).toContain('charset=latin1');
  const form = await answerOf(
    readJsonBody(request('a=1', { 'content-type': 'application/x-www-form-urlencoded' })),
  );
  expect(form.status).toBe(415);
});

test('a syntax error is located but its text is not echoed', async () => {
  const error = await answerOf(
    readJsonBody(
      request('{"email": "sue.smith@contoso.com",, }', { 'content-type': 'application/json' }),
    ),
  );
  expect(error.status).toBe(400);
  expect(error.message).toContain('line 1, column 35');
  expect(JSON.stringify(error.envelope)).not.toContain('sue.smith');
});

test('nesting deeper than the cap is refused before parsing; strings do not count', async () => {
  const deep = `{"a":${'['.repeat(40)}${']'.repeat(40)}}`;
  const error = await answerOf(readJsonBody(request(deep, { 'content-type': 'application/json' })));
  expect(error.status).toBe(400);
  expect(error.envelope.error.code).toBe('nestingTooDeep');
  const brackets = JSON.stringify({ notes: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"{{{{' });
  await expect(
    readJsonBody(request(brackets, { 'content-type': 'application/json' })),
  ).resolves.toEqual(JSON.parse(brackets));
  expect(nesting(`${'['.repeat(32)}${']'.repeat(32)}`, 32)).toEqual({ depth: 32 });
});

test('the refusal says where the nesting went too deep, without parsing the body', async () => {
  const deep = JSON.stringify({
    details: { requirements: { solutions: [{ id: 'a' }, { id: 'b', extra: nested(40) }] } },
  });
  const error = await answerOf(readJsonBody(request(deep, { 'content-type': 'application/json' })));
  expect(error.envelope.error.details).toEqual([
    {
      path: '$.details.requirements.solutions[1].extra' + '[0]'.repeat(27),
      code: 'nestingTooDeep',
      message: 'holds a value nested more than 32 levels deep',
    },
  ]);
  expect(error.message).toMatch(/at \$\.details\.requirements\.solutions\[1\]\.extra/);
});

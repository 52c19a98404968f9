/** Callers name filters; they never write OData, and a continuation belongs to its query. */
import { continuationFor, parseReferralQuery } from '../../../shared/contract/referral-query';

const parse = (query: string) => parseReferralQuery(new URLSearchParams(query).entries());

test('known parameters are checked and spelled as documented', () => {
  const parsed = parse(
    'status=active&direction=INCOMING&type=shared&country=us&top=10&orderBy=updatedDateTime%20desc&engagementId=65EDC0B5-3485-41B7-A17E-DFA9EF4706E2',
  );
  expect(parsed.ok && parsed.query).toEqual({
    status: 'Active',
    direction: 'Incoming',
    type: 'Shared',
    country: 'US',
    top: 10,
    orderBy: 'updatedDateTime desc',
    engagementId: '65edc0b5-3485-41b7-a17e-dfa9ef4706e2',
  });
});

test.each([
  ['$filter=status eq %27New%27', '$.$filter', 'unknownParameter'],
  ['status=Done', '$.status', 'invalidValue'],
  ['engagementId=x%27 or 1 eq 1', '$.engagementId', 'invalidValue'],
  ['updatedSince=yesterday', '$.updatedSince', 'invalidValue'],
  ['teamEmail=nobody', '$.teamEmail', 'invalidValue'],
  ['top=0', '$.top', 'invalidValue'],
  ['top=5000', '$.top', 'invalidValue'],
  ['status=New&status=Active', '$.status', 'duplicateParameter'],
  ['continuation=abc', '$.continuation', 'invalidContinuation'],
])('%s is refused, naming the parameter', (query, path, code) => {
  const parsed = parse(query);
  expect(parsed.ok).toBe(false);
  if (!parsed.ok) {
    expect(parsed.error.error.details).toContainEqual(expect.objectContaining({ path, code }));
  }
});

test('a continuation is taken back with its own query only', () => {
  const token = continuationFor({ status: 'New' }, { skipToken: 'k181pEdP0ykypkieJfcxX' });
  const same = parse(`status=new&continuation=${token}`);
  expect(same.ok && same.position).toEqual({ skipToken: 'k181pEdP0ykypkieJfcxX' });
  expect(parse(`status=Active&continuation=${token}`).ok).toBe(false);
  // A forged one carrying a URL is refused.
  const forged = Buffer.from(JSON.stringify({ q: 'x', t: 'https://evil.example/steal' })).toString(
    'base64url',
  );
  expect(parse(`continuation=${forged}`).ok).toBe(false);
});

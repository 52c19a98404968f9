/** The common moves are patches a flow need not write, checked like any body. */
import { actionPrecondition, validateAction } from '../../../shared/contract/referral-actions';
import type { Referral } from '../../../shared/contract/schema';

const patchOf = (action: Parameters<typeof validateAction>[0], body: unknown) => {
  const result = validateAction(action, body);
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
};

const detailsOf = (action: Parameters<typeof validateAction>[0], body: unknown) => {
  const result = validateAction(action, body);
  if (result.ok) throw new Error('expected a refusal');
  return result.error.error.details;
};

test('close as Won, with or without a reason; as Lost with one', () => {
  expect(patchOf('close', { outcome: 'won' })).toEqual([
    { op: 'replace', path: '/status', value: 'Closed' },
    { op: 'replace', path: '/substatus', value: 'Won' },
  ]);
  expect(patchOf('close', { outcome: 'Lost', reason: 'Budget' })).toContainEqual({
    op: 'replace',
    path: '/statusReason',
    value: 'Budget',
  });
  expect(detailsOf('close', { outcome: 'Lost' })).toContainEqual(
    expect.objectContaining({ path: '$.reason', code: 'required' }),
  );
  expect(detailsOf('close', { outcome: 'Maybe' })).toContainEqual(
    expect.objectContaining({ path: '$.outcome', code: 'invalidValue' }),
  );
  expect(detailsOf('close', { outcome: 'Won', why: 'x' })).toContainEqual(
    expect.objectContaining({ code: 'unknownProperty' }),
  );
});

test('accept takes no body; decline needs a reason', () => {
  expect(patchOf('accept', undefined)).toEqual([
    { op: 'replace', path: '/status', value: 'Active' },
    { op: 'replace', path: '/substatus', value: 'Accepted' },
  ]);
  expect(patchOf('decline', { reason: 'NotACustomer' })).toEqual([
    { op: 'replace', path: '/status', value: 'Closed' },
    { op: 'replace', path: '/substatus', value: 'Declined' },
    { op: 'replace', path: '/statusReason', value: 'NotACustomer' },
  ]);
  expect(detailsOf('decline', {})).toContainEqual(
    expect.objectContaining({ path: '$.reason', code: 'required' }),
  );
  expect(detailsOf('accept', [])).toContainEqual(expect.objectContaining({ code: 'invalidType' }));
});

test("a deal registration takes the connector's fields and forwards new ones", () => {
  const result = validateAction('registerDeal', {
    RegistrationType: 'AzureIpCoSell',
    pricingModel: 'Subscription',
    billingPlan: 'Monthly',
  });
  expect(result.ok && result.value).toEqual([
    {
      op: 'add',
      path: '/registrations/-',
      value: {
        registrationType: 'AzureIpCoSell',
        pricingModel: 'Subscription',
        billingPlan: 'Monthly',
      },
    },
  ]);
  expect(result.ok && result.forwarded).toEqual(['$.billingPlan']);
  expect(detailsOf('registerDeal', { pricingModel: 'x' })).toContainEqual(
    expect.objectContaining({ path: '$.registrationType', code: 'required' }),
  );
});

test('accept and decline are for referrals sent to you', () => {
  const outgoing = { id: 'x', direction: 'Outgoing' } as Referral;
  expect(actionPrecondition('accept', outgoing)).toMatchObject({ code: 'notIncoming' });
  expect(actionPrecondition('decline', outgoing)).toMatchObject({ code: 'notIncoming' });
  expect(actionPrecondition('close', outgoing)).toBeUndefined();
  expect(
    actionPrecondition('accept', { id: 'x', direction: 'Incoming', status: 'New' }),
  ).toBeUndefined();
});

test('accept and decline answer a referral that waits (New); given again they repeat it', () => {
  const incoming = (status: Referral['status'], substatus: Referral['substatus']) =>
    ({ id: 'x', direction: 'Incoming', status, substatus }) as Referral;
  expect(actionPrecondition('decline', incoming('Active', 'Accepted'))).toMatchObject({
    code: 'alreadyAnswered',
    message: expect.stringMatching(/close it as Lost/),
  });
  expect(actionPrecondition('accept', incoming('Closed', 'Expired'))).toMatchObject({
    code: 'alreadyAnswered',
  });
  expect(actionPrecondition('accept', incoming('Active', 'Accepted'))).toBeUndefined();
  expect(actionPrecondition('decline', incoming('Closed', 'Declined'))).toBeUndefined();
  expect(actionPrecondition('decline', incoming('New', 'Pending'))).toBeUndefined();
});

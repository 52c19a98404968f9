import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { offersFlex } from '../../scripts/check-flex-region';

test('a region is accepted only when Azure lists it for Flex Consumption, however it is spelt', () => {
  const listed = ['eastus2', 'northeurope', 'westeurope'];
  expect(offersFlex('westeurope', listed)).toBe(true);
  expect(offersFlex('West Europe', listed)).toBe(true);
  expect(offersFlex('germanynorth', listed)).toBe(false);
  expect(offersFlex('', listed)).toBe(false);
});

test('azd runs the check before provisioning', () => {
  const yaml = readFileSync(join(__dirname, '..', '..', 'azure.yaml'), 'utf8');
  expect(yaml).toMatch(
    /preprovision:\n\s+shell: sh\n\s+run: npx tsx scripts\/check-flex-region\.ts/,
  );
});

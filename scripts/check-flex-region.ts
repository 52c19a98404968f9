/**
 * azd's `preprovision` hook: stops `azd provision` before anything is created when
 * AZURE_LOCATION offers no Flex Consumption plan (the plan would fail half-way through), naming
 * the regions that do. The list comes from Azure itself (`az`), so it never goes stale here.
 */
import { execFileSync } from 'node:child_process';

const norm = (region: string) => region.toLowerCase().replace(/\s+/g, '');

/** Whether the region is among Azure's Flex Consumption regions (names or display names). */
export function offersFlex(location: string, regions: readonly string[]): boolean {
  return regions.some((region) => norm(region) === norm(location));
}

function main(): void {
  const location = process.env.AZURE_LOCATION ?? '';
  let regions: string[];
  try {
    regions = execFileSync(
      'az',
      ['functionapp', 'list-flexconsumption-locations', '--query', '[].name', '-o', 'tsv'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    )
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  } catch {
    console.warn(
      'Could not list the Flex Consumption regions (is the Azure CLI signed in?); not checked.',
    );
    return;
  }
  if (offersFlex(location, regions)) return;
  console.error(`AZURE_LOCATION '${location}' offers no Flex Consumption plan. Choose one of:`);
  console.error(`  ${regions.join(', ')}`);
  console.error('then: azd env set AZURE_LOCATION <region>');
  process.exit(1);
}

if (require.main === module) main();

/**
 * `npm run soak`: exactly once under fire (see local/soak.ts). 1,000 referrals and three
 * host kills by default; prints progress and a summary, writes .local/soak/result.json, and exits
 * non-zero on any duplicate, missing referral or unanswered request.
 *
 *   npm run soak [-- --referrals 1000] [-- --restarts 3] [-- --storage-outages 2]
 *     [-- --token-outages 2] [-- --list-delay-ms 500]
 *
 * `--list-delay-ms` sets how long the sandbox takes to list a new referral (500 ms by default,
 * within the 2 s the soak's gateway assumes): beyond the assumption, the run reports what it
 * produces (duplicates, each logged by the gateway as a resend after an unknown outcome).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchLocalProduct, requireStandIns } from '../local/launcher';
import { runSoak, SOAK_QUEUES, SOAK_SETTINGS, soakTable } from '../local/soak';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      referrals: { type: 'string', default: '1000' },
      restarts: { type: 'string', default: '3' },
      'list-delay-ms': { type: 'string' },
      'storage-outages': { type: 'string', default: '2' },
      'token-outages': { type: 'string', default: '2' },
    },
  });
  const say = (line: string) => console.log(`[soak] ${line}`);
  say('starting Azurite, the identity provider, the sandbox and the local host');
  const product = await launchLocalProduct({
    appRoot: resolve(__dirname, '..'),
    // On disk (a temporary folder), so Table Storage can be stopped and started mid-run.
    inMemory: false,
    auth: 'entra',
    settings: SOAK_SETTINGS,
    queues: SOAK_QUEUES,
    output: () => undefined,
  });
  try {
    if (values['list-delay-ms'] !== undefined) {
      requireStandIns(product).sandbox.listDelayMs = Number(values['list-delay-ms']);
    }
    const result = await runSoak(product, {
      referrals: Number(values.referrals),
      restarts: Number(values.restarts),
      storageOutages: Number(values['storage-outages']),
      tokenOutages: Number(values['token-outages']),
      progress: say,
    });
    const folder = join(resolve(__dirname, '..'), '.local', 'soak');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\n${soakTable(result)}\n\nWritten to .local/soak/result.json`);
    const clean =
      result.duplicates === 0 &&
      result.missing === 0 &&
      result.inconsistentAnswers === 0 &&
      result.failedFlowRuns === 0 &&
      result.requestsAnswered === result.requestsSent;
    if (!clean) process.exitCode = 1;
  } finally {
    await product.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`npm run soak failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});

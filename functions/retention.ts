import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { purgeExpired } from '../shared/application/retention';
import { durableFinishedOperations } from '../shared/application/shared-referral/operations';
import { createLogger } from '../shared/logging';
import { getServices } from './services';

// Table Storage has no TTL: what is kept for the idempotency window is removed nightly.
app.timer('purgeExpiredRecords', {
  schedule: '0 30 3 * * *',
  extraInputs: [df.input.durableClient()],
  handler: async (_timer, context) => {
    const { idempotency, engagements, idempotencyPolicy } = getServices();
    const purged = await purgeExpired({
      idempotency,
      engagements,
      operations: durableFinishedOperations(df.getClient(context)),
      windowMs: idempotencyPolicy.ttlMs,
    });
    const log = createLogger(context, { operation: 'purgeExpiredRecords' });
    for (const [outcome, count] of Object.entries(purged)) {
      log.info('retention.purged', { outcome, count });
    }
  },
});

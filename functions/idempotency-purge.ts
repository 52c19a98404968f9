import { app } from '@azure/functions';
import { createLogger } from '../shared/logging';
import { getServices } from './services';

// Table Storage has no TTL: expired idempotency records are deleted nightly.
app.timer('purgeIdempotencyRecords', {
  schedule: '0 30 3 * * *',
  handler: async (_timer, context) => {
    const removed = await getServices().idempotency.purgeExpired();
    createLogger(context, { operation: 'purgeIdempotencyRecords' }).info('idempotency.purged', {
      count: removed,
    });
  },
});

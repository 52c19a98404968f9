import { app } from '@azure/functions';
import { checkSignIn, logSignIn } from '../shared/application/health';
import { createLogger } from '../shared/logging';
import { getServices } from './services';

// The integration user's sign-in, checked every 15 minutes whether or not anyone calls health, so
// the "sign-in lost or at risk" alert fires before a flow meets the 503.
app.timer('watchSignIn', {
  schedule: '0 */15 * * * *',
  handler: async (_timer, context) => {
    const log = createLogger(context, { operation: 'watchSignIn' });
    logSignIn(log, await checkSignIn(getServices(), 15000));
  },
});

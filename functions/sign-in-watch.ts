import { app } from '@azure/functions';
import { checkSignIn, logSignIn } from '../shared/application/health';
import { createLogger } from '../shared/logging';
import { getServices } from './services';

// The integration user's sign-in, renewed every 15 minutes whether or not anyone calls health: a
// revoked sign-in is found (and alerted on) before a flow meets the 503, and a gateway with no
// traffic never lets the refresh token go idle.
app.timer('watchSignIn', {
  schedule: '0 */15 * * * *',
  handler: async (_timer, context) => {
    const log = createLogger(context, { operation: 'watchSignIn' });
    logSignIn(log, await checkSignIn(getServices(), 15000, true));
  },
});

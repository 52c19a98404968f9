import { app } from '@azure/functions';
import { startWarmUp } from '../shared/application/warm-up';
import { getServices } from './services';

// An app-start hook has no invocation context: its log lines go to the host's console.
app.hook.appStart(() => startWarmUp(console, getServices));

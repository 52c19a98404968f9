import { app } from '@azure/functions';
import { startWarmUp } from '../shared/application/warm-up';
import { getServices } from './services';

// An app-start hook has no invocation context: its log lines go to the host's console.
app.hook.appStart(() => startWarmUp(console, getServices));

// An orderly stop lets the writes still running after their answers finish (after-answer.ts).
app.hook.appTerminate(async () => {
  try {
    await getServices().afterAnswer.drain();
  } catch {
    // No services (bad settings): nothing was started.
  }
});

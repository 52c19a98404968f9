// The app's one entry point (bundled for deployment): every function registers on import.
import './health';
import './operations';
import './partner-center-events';
import './retention';
import './sign-in-watch';
import './referrals';
import './shared-referral';
import './unknown-route';
import './warm-up';

/**
 * The whole product over real HTTP for end-to-end tests, started by the local product's own
 * launcher (as `npm run dev` starts it) against the test run's Azurite: each fixture has its own
 * task hub and tables, callers carry Entra tokens of the local identity provider, and the host can
 * be killed and started again.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import {
  launchLocalProduct,
  requireStandIns,
  type LaunchOptions,
  type LocalProduct,
} from '../../local/launcher';
import type { LocalPartnerCenter } from '../../local/stand-ins';

export type { HttpAnswer } from '../../local/launcher';

const APP_ROOT = resolve(__dirname, '..', '..');

export interface ProductFixture extends LocalProduct {
  local: LocalPartnerCenter;
  /** A caller token with both permissions; every request carries it unless told otherwise. */
  callerToken: string;
}

export async function startProduct(
  settings: Record<string, string> = {},
  options: Pick<LaunchOptions, 'output' | 'execArgv' | 'queues' | 'console'> = {},
): Promise<ProductFixture> {
  const storage = process.env.TEST_TABLES_CONNECTION_STRING;
  if (!storage) throw new Error('Azurite is not running (jest globalSetup)');
  const unique = () => randomBytes(5).toString('hex');
  const product = await launchLocalProduct({
    appRoot: APP_ROOT,
    storage,
    inMemory: true,
    auth: 'entra',
    taskHub: `e2e${unique()}`,
    settings: {
      TOKEN_CACHE_TABLE: `tokens${unique()}`,
      IDEMPOTENCY_TABLE: `idem${unique()}`,
      ENGAGEMENT_TABLE: `eng${unique()}`,
      ...settings,
    },
    ...options,
  });
  return {
    ...product,
    local: requireStandIns(product),
    callerToken: product.callerToken as string,
  };
}

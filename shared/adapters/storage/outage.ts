/**
 * Table Storage failing, as opposed to refusing: the service answered 5xx, 408 or 429, or could
 * not be reached or did not answer in time. Such a failure is worth a retry by the caller later.
 */
import type { TableServiceClientOptions } from '@azure/data-tables';

type PipelinePolicy = NonNullable<
  TableServiceClientOptions['additionalPolicies']
>[number]['policy'];

/** How long one Table Storage request may take before it is abandoned. */
export const STORAGE_REQUEST_TIMEOUT_MS = 10000;

/** Gives every Table Storage request a timeout (the SDK's default is none). */
export const requestTimeoutPolicy: PipelinePolicy = {
  name: 'requestTimeout',
  sendRequest(request, next) {
    request.timeout = STORAGE_REQUEST_TIMEOUT_MS;
    return next(request);
  },
};

/** Tells `onLost` when the service says the table does not exist (it was deleted meanwhile). */
export function tableLostPolicy(onLost: () => void): PipelinePolicy {
  return {
    name: 'tableLost',
    async sendRequest(request, next) {
      try {
        return await next(request);
      } catch (error) {
        const { statusCode, code, message } = error as {
          statusCode?: number;
          code?: string;
          message?: string;
        };
        if (statusCode === 404 && /TableNotFound/.test(`${code ?? ''} ${message ?? ''}`)) onLost();
        throw error;
      }
    },
  };
}

const NETWORK_CODES = new Set([
  'REQUEST_SEND_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

export function isStorageOutage(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'RestError') return false;
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  if (statusCode !== undefined)
    return statusCode >= 500 || statusCode === 408 || statusCode === 429;
  return code !== undefined && NETWORK_CODES.has(code);
}

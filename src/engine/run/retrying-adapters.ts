/**
 * Adapters whose every call is retried by the engine's retry policy: a transient error (a 503, a reset
 * connection, an unreachable node) is tried again with backoff on the engine's clock before anyone
 * sees it, so one lost call is never taken for ill health. A call still failing when the policy's
 * attempts are spent fails for good (permanent): a step's own retry then does not multiply them.
 */
import { AdapterError } from '../../errors.js';
import type { Adapters } from '../../ports/adapters.js';
import type { Clock } from '../../ports/clock.js';
import { isTransient, type RetryPolicy, withRetry } from '../policy.js';

/** Called before each new attempt of a call. */
export type OnCallRetry = (call: string, error: unknown, attempt: number) => void;

/** `adapters` with each method call retried by `policy`; the call's own `signal` ends the waiting. */
export function retryingAdapters(
  adapters: Adapters,
  policy: RetryPolicy,
  clock: Clock,
  onRetry?: OnCallRetry,
): Adapters {
  const wrap = <T extends object>(port: T, name: string) => retrying(port, name, policy, clock, onRetry);
  return {
    vim: wrap(adapters.vim, 'vim'),
    nodes: wrap(adapters.nodes, 'nodes'),
    hypervisor: adapters.hypervisor && wrap(adapters.hypervisor, 'hypervisor'),
    vnfm: adapters.vnfm && wrap(adapters.vnfm, 'vnfm'),
  };
}

function retrying<T extends object>(
  port: T,
  name: string,
  policy: RetryPolicy,
  clock: Clock,
  onRetry: OnCallRetry | undefined,
): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const call = `${name}.${String(property)}`;
      return async (...args: unknown[]) => {
        // Port methods take `{ signal }` last (style: cancellation everywhere).
        const last = args.at(-1) as { signal?: unknown } | undefined;
        const signal = last?.signal instanceof AbortSignal ? last.signal : undefined;
        try {
          return await withRetry(() => Promise.resolve(value.apply(target, args)), policy, clock, {
            signal,
            onRetry: (error, attempt) => onRetry?.(call, error, attempt),
          });
        } catch (error) {
          if (!(error instanceof AdapterError) || !isTransient(error) || signal?.aborted) throw error;
          throw new AdapterError(`${error.message} (${call}: ${policy.retries + 1} attempts)`, {
            kind: 'permanent',
            reason: error.reason,
            requestId: error.requestId,
            cause: error,
          });
        }
      };
    },
  });
}

/** Helpers to look at what a promise rejects with, shared by the adapter tests. */
import { expect } from 'vitest';
import { AdapterError } from '../../src/errors.js';

/** What `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Checks that `error` is an {@link AdapterError} of that kind and reason, and returns it. */
export function expectAdapterError(
  error: unknown,
  kind: 'transient' | 'permanent',
  reason: string,
): AdapterError {
  expect(error).toBeInstanceOf(AdapterError);
  expect((error as AdapterError).reason).toBe(reason);
  expect((error as AdapterError).retryable).toBe(kind === 'transient');
  return error as AdapterError;
}

/**
 * Small schemas shared by the escalator/v1 documents. Each carries the "expected ..." wording that
 * users see in error messages; the loader appends what it got.
 */
import { z } from 'zod';

/** The API version every escalator/v1 document declares. */
export const API_VERSION = 'escalator/v1';

export const apiVersion = z.literal(API_VERSION, { error: `expected "${API_VERSION}"` });

export const name = z
  .string({ error: 'expected a name (a non-empty string)' })
  .min(1, { error: 'expected a name (a non-empty string)' })
  .max(253, { error: 'expected a name of at most 253 characters' });

export const nameList = z.array(name, { error: 'expected a list of names' });

export const metadata = z.strictObject(
  {
    name,
    labels: z
      .record(z.string(), z.string({ error: 'expected a string label value' }), {
        error: 'expected a map of label names to strings',
      })
      .optional(),
  },
  { error: 'expected an object with a name, e.g. { name: lab-1 }' },
);

const countMessage = 'expected a whole number, 0 or more';
export const count = z
  .number({ error: countMessage })
  .int({ error: countMessage })
  .nonnegative({ error: countMessage })
  .max(Number.MAX_SAFE_INTEGER, { error: countMessage });

const positiveMessage = 'expected a whole number, 1 or more';
export const positiveCount = z
  .number({ error: positiveMessage })
  .int({ error: positiveMessage })
  .positive({ error: positiveMessage })
  .max(Number.MAX_SAFE_INTEGER, { error: positiveMessage });

const amountMessage = 'expected a number, 0 or more';
export const amount = z
  .number({ error: amountMessage })
  .nonnegative({ error: amountMessage })
  .max(Number.MAX_SAFE_INTEGER, { error: amountMessage });

const ratioMessage = 'expected a ratio greater than 0, e.g. 1.5';
export const ratio = z.number({ error: ratioMessage }).positive({ error: ratioMessage }).max(1000, {
  error: 'expected a ratio of at most 1000',
});

const secondsMessage = 'expected a duration in seconds, 0 or more';
export const seconds = z
  .number({ error: secondsMessage })
  .nonnegative({ error: secondsMessage })
  .max(31_536_000, { error: 'expected at most a year of seconds (31536000)' });

/**
 * A version is a string: YAML reads `9.0` as the number 9, which would silently lose the ".0",
 * so numbers are refused with advice to quote them.
 */
export const version = z
  .string({ error: 'expected a version string; quote numbers, e.g. "9.0"' })
  .min(1, { error: 'expected a non-empty version string' });

/** Component name to version. */
export const softwareVersions = z.record(name, version, {
  error: 'expected a map of component names to version strings',
});

/** The roles a node can have. */
export const ROLES = ['controller', 'compute', 'network', 'storage'] as const;
export const role = z.enum(ROLES, { error: `expected one of ${ROLES.join(', ')}` });

/** Resources of a node (capacity) or an instance (its flavor). */
export const resources = z.strictObject(
  {
    vcpus: amount,
    memoryMiB: amount,
    diskGiB: amount.default(0),
  },
  { error: 'expected { vcpus, memoryMiB, diskGiB }' },
);

/**
 * The maintenance window (`finishBy`): whether the next wave can finish before it closes, from the
 * plan's expected durations corrected by what the waves done so far really took. Pure.
 */
import type { Wave } from '../../model/plan.js';
import type { CampaignSnapshot } from '../journal.js';

/**
 * How much longer than planned the waves done so far took (observed ÷ expected), or 1 before any
 * wave is done.
 */
export function observedFactor(snapshot: CampaignSnapshot): number {
  let expected = 0;
  let observed = 0;
  for (const wave of snapshot.plan.waves) {
    const times = snapshot.waveTimes[wave.index];
    if (!times?.started || !times.verified || wave.expectedSeconds <= 0) continue;
    expected += wave.expectedSeconds;
    observed += (Date.parse(times.verified) - Date.parse(times.started)) / 1000;
  }
  return expected > 0 && observed > 0 ? observed / expected : 1;
}

/**
 * Why `wave` cannot start now within the window ending at `finishBy`, or undefined when it fits (or
 * there is no window).
 */
export function windowProblem(
  snapshot: CampaignSnapshot,
  finishBy: string | undefined,
  now: string,
  wave: Wave | undefined,
): string | undefined {
  if (finishBy === undefined) return undefined;
  const left = (Date.parse(finishBy) - Date.parse(now)) / 1000;
  if (left <= 0) return `the maintenance window closed at ${finishBy}`;
  if (!wave) return undefined;
  const factor = observedFactor(snapshot);
  const needs = Math.ceil(wave.expectedSeconds * factor);
  if (needs <= left) return undefined;
  const basis =
    factor === 1 ? 'expected' : `expected ${wave.expectedSeconds} s × ${factor.toFixed(2)} as observed`;
  return `wave ${wave.index} needs about ${minutes(needs)} (${basis}), and the window closes at ${finishBy}, in ${minutes(left)}`;
}

function minutes(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`;
}

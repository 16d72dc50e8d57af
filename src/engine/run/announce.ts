/**
 * Turns each journal record, right after it was written, into the engine's typed events and its log
 * lines: what is announced is exactly what was journaled.
 */
import type { EventEmitter } from 'eventemitter3';
import type { LogLevel } from '../../ports/logger.js';
import type { CoreState } from '../core/state.js';
import type { EngineEvents } from '../events.js';
import type { JournalRecord } from '../journal.js';
import { progressOf } from '../status.js';

/** Announces records; keeps the count that spaces out progress events. */
export class Announcer {
  readonly #events: EventEmitter<EngineEvents>;
  readonly #log: (level: LogLevel, action: string, message: string, object?: string, code?: string) => void;
  #progressTick = 0;

  constructor(
    events: EventEmitter<EngineEvents>,
    log: (level: LogLevel, action: string, message: string, object?: string, code?: string) => void,
  ) {
    this.#events = events;
    this.#log = log;
  }

  /** Events and log lines of a record of the campaign `core` holds (already applied to it). */
  announce(core: CoreState, record: JournalRecord): void {
    const events = this.#events;
    switch (record.type) {
      case 'campaign':
        this.#log(
          record.to === 'failed' ? 'error' : 'info',
          'campaign.transition',
          `${record.from} → ${record.to}${record.reason ? `: ${record.reason}` : ''}`,
        );
        events.emit('transition', {
          from: record.from,
          to: record.to,
          event: record.event,
          reason: record.reason,
        });
        break;
      case 'step': {
        const entry = core.index.steps.get(record.step);
        this.#log(
          record.error ? 'warn' : 'info',
          `step.${record.event}`,
          record.error ? record.error.message : `${record.from} → ${record.to}`,
          record.step,
          record.error?.code,
        );
        if (entry)
          events.emit('step', {
            step: entry.step,
            wave: entry.wave,
            from: record.from,
            to: record.to,
            error: record.error,
          });
        if (record.to === 'succeeded' || record.to === 'skipped') this.#progress(core);
        break;
      }
      case 'alarm': {
        const { alarm } = record;
        const severe = alarm.severity === 'critical' || alarm.severity === 'major';
        this.#log(severe ? 'error' : 'warn', 'alarm', alarm.message, alarm.object, alarm.code);
        events.emit('alarm', alarm);
        break;
      }
      case 'wave':
        this.#log(
          'info',
          `wave.${record.event}`,
          `wave ${record.wave} ${record.event}`,
          `wave ${record.wave}`,
        );
        events.emit('wave', { wave: record.wave, event: record.event });
        break;
      case 'audit':
        // Who did what stays in the log file too (denials are logged as they come, as `auth.<command>`).
        if (record.allowed)
          this.#log('info', `audit.${record.action}`, `${record.principal.id}: ${record.reason}`);
        break;
      case 'alarm-cleared':
        this.#log('info', 'alarm.cleared', `${record.code} is over`, record.object, record.code);
        break;
      case 'request':
        this.#log('info', `request.${record.request}`, record.reason ?? record.steps?.join(', ') ?? '');
        break;
      default:
        break;
    }
    events.emit('record', record);
  }

  /**
   * Progress is worked out from every step, so it is sent about 200 times per plan rather than at
   * every step (a plan for 1,000 nodes has some 20,000 steps), and always at the last one.
   */
  #progress(core: CoreState): void {
    const total = core.index.steps.size;
    this.#progressTick++;
    if (this.#progressTick % Math.max(1, Math.floor(total / 200)) !== 0 && this.#progressTick < total) return;
    if (this.#events.listenerCount('progress') > 0) this.#events.emit('progress', progressOf(core.snapshot));
  }
}

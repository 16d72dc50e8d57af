/**
 * Live progress of a campaign in the terminal: a bar with ETA redrawn in place on a TTY, plain lines
 * otherwise (logs, CI). Alarms and wave boundaries are printed as lines in both cases.
 */
import type { Engine } from '../engine/engine.js';
import type { Plan } from '../model/plan.js';
import { formatDuration } from '../planner/render.js';
import type { Clock } from '../ports/clock.js';
import type { Io } from './io.js';

const BAR = 28;

/** Follows an engine's events and writes progress to `io`. Returns a function that stops following. */
export function followProgress(engine: Engine, plan: Plan, clock: Clock, io: Io, label = ''): () => void {
  const start = clock.now();
  const prefix = label ? `[${label}] ` : '';
  let lastStep = '';
  let lastDraw = 0;
  let drawn = false;
  const elapsed = () => formatDuration((clock.now() - start) / 1000);
  const clear = () => {
    if (drawn && io.isTty) process.stdout.write('\r\x1b[2K');
    drawn = false;
  };
  const line = (text: string) => {
    clear();
    io.out(`${prefix}${text}`);
  };
  const draw = (force = false) => {
    if (!io.isTty || engine.id === undefined) return;
    const now = Date.now();
    if (!force && now - lastDraw < 80) return;
    lastDraw = now;
    const p = engine.status().progress;
    const filled = Math.round((p.percent / 100) * BAR);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}`;
    process.stdout.write(
      `\r\x1b[2K${prefix}${bar} ${p.percent.toFixed(0).padStart(3)}%  wave ${Math.min(p.wavesDone + 1, p.wavesTotal)}/${p.wavesTotal}` +
        `  simulated ${elapsed()}  ETA ${formatDuration(p.etaSeconds)}  ${lastStep}`.slice(
          0,
          (process.stdout.columns ?? 120) - 1,
        ),
    );
    drawn = true;
  };
  const waves = new Map(plan.waves.map((w) => [w.index, w]));
  const handlers = {
    transition: (t: { from: string; to: string; reason?: string | undefined }) =>
      line(`${elapsed().padStart(11)}  campaign ${t.from} → ${t.to}${t.reason ? `: ${t.reason}` : ''}`),
    wave: (e: { wave: number; event: string }) => {
      const w = waves.get(e.wave) ?? engine.snapshot().plan.waves.find((x) => x.index === e.wave);
      if (e.event === 'started' && w)
        line(
          `${elapsed().padStart(11)}  wave ${e.wave}${w.canary ? ' (canary)' : ''} started: ${w.nodes.length} node(s)` +
            `${w.nodes.length <= 6 ? ` ${w.nodes.join(', ')}` : ''}, ${w.migrations.length} migration(s)`,
        );
      else if (e.event === 'verified') line(`${elapsed().padStart(11)}  wave ${e.wave} done and verified`);
      else line(`${elapsed().padStart(11)}  wave ${e.wave} ${e.event}`);
    },
    alarm: (a: { severity: string; code: string; object: string; message: string }) =>
      line(`${elapsed().padStart(11)}  ALARM ${a.severity} ${a.code} ${a.object}: ${a.message}`),
    step: (e: {
      step: { id: string; kind: string };
      to: string;
      error?: { message: string } | undefined;
    }) => {
      lastStep = `${e.step.id}: ${e.to}`;
      if (e.to === 'failed' || e.to === 'timed-out')
        line(`${elapsed().padStart(11)}  step ${e.step.id} ${e.to}: ${e.error?.message ?? ''}`);
      else draw();
    },
    progress: () => draw(),
  };
  engine.on('transition', handlers.transition);
  engine.on('wave', handlers.wave);
  engine.on('alarm', handlers.alarm);
  engine.on('step', handlers.step);
  engine.on('progress', handlers.progress);
  return () => {
    engine.off('transition', handlers.transition);
    engine.off('wave', handlers.wave);
    engine.off('alarm', handlers.alarm);
    engine.off('step', handlers.step);
    engine.off('progress', handlers.progress);
    clear();
  };
}

/** The engine's typed events: each is derived from a journal record right after it was written. */
import type { Step } from '../model/plan.js';
import type { Alarm, JournalRecord } from './journal.js';
import type { CampaignEvent, CampaignState, StepState } from './machine.js';
import type { Progress } from './status.js';

/** The engine's typed events (eventemitter3 style: name → arguments). */
export interface EngineEvents {
  /** The campaign moved. */
  transition: [
    {
      readonly from: CampaignState;
      readonly to: CampaignState;
      readonly event: CampaignEvent;
      readonly reason?: string | undefined;
    },
  ];
  /** A step moved. */
  step: [
    {
      readonly step: Step;
      readonly wave: number;
      readonly from: StepState;
      readonly to: StepState;
      readonly error?: { readonly code: string; readonly message: string } | undefined;
    },
  ];
  /** Progress through the plan, about 200 times per plan. */
  progress: [Progress];
  alarm: [Alarm];
  wave: [{ readonly wave: number; readonly event: 'started' | 'verified' | 'approved' }];
  /** Every journal record, after it was written (the REST API streams these). */
  record: [JournalRecord];
}

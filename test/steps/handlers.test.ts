/** The handler table: one handler per step kind, found by the step's kind. */
import { describe, expect, it } from 'vitest';
import { handlerOf, STEP_HANDLERS, vimHost } from '../../src/engine/steps/index.js';
import { AdapterError } from '../../src/errors.js';
import { STEP_KINDS, type Step, type StepOf } from '../../src/model/plan.js';
import { INVENTORY, lab, stepOf } from './harness.js';

describe('STEP_HANDLERS', () => {
  it('has a handler for every step kind, each describing its steps', () => {
    expect(Object.keys(STEP_HANDLERS).sort()).toEqual([...STEP_KINDS].sort());
    for (const kind of STEP_KINDS) expect(typeof STEP_HANDLERS[kind].run, kind).toBe('function');
    expect(
      STEP_HANDLERS['notify-vnf'].describe?.(
        stepOf('notify-vnf', { vnf: 'vnf-a', instances: ['vm-1', 'vm-2'] }),
      ),
    ).toBe('ask the manager of VNF vnf-a for maintenance of 2 instances');
  });

  it('handlerOf gives the handler of the step kind, typed by it', async () => {
    const step: StepOf<'check-empty'> = stepOf('check-empty', { node: 'cmp-3', instances: [] });
    expect(handlerOf(step)).toBe(STEP_HANDLERS['check-empty']);
    const { ctx } = lab();
    await handlerOf(step).run(ctx(), step, undefined);
    const any: Step = step;
    expect(handlerOf(any)).toBe(STEP_HANDLERS['check-empty']);
  });

  it('handlerOf rejects a kind no handler knows (a plan built around the schema) as bad-step', () => {
    const odd = { ...stepOf('reboot', { node: 'cmp-1' }), kind: 'toString' } as unknown as Step;
    let error: unknown;
    try {
      handlerOf(odd);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AdapterError);
    expect(error).toMatchObject({ reason: 'bad-step', retryable: false });
  });

  it("vimHost: the node's VIM name when it has one", () => {
    expect(vimHost(INVENTORY, 'cmp-1')).toBe('cmp-1.lab');
    expect(vimHost(INVENTORY, 'cmp-2')).toBe('cmp-2');
    expect(vimHost(INVENTORY, 'elsewhere')).toBe('elsewhere');
  });
});

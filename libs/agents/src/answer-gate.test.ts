import { describe, expect, it } from 'vitest';
import { AnswerGate } from './answer-gate';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('AnswerGate', () => {
  it('lets at most its limit work at once, the others in the order they came', async () => {
    const gate = new AnswerGate(2);
    let running = 0, most = 0;
    const started: number[] = [];
    const work = (k: number) => gate.run(async () => {
      started.push(k);
      most = Math.max(most, ++running);
      for (let i = 0; i < 3 + (k % 3); i++) await tick();
      running--;
      return k * 10;
    });
    const results = await Promise.all([0, 1, 2, 3, 4, 5, 6].map(work));
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('frees the place of a work that fails, and passes its error on', async () => {
    const gate = new AnswerGate(1);
    const failing = gate.run(async () => { await tick(); throw new Error('no answer'); });
    const next = gate.run(async () => 'answered');
    await expect(failing).rejects.toThrow('no answer');
    await expect(next).resolves.toBe('answered');
    await expect(gate.run(async () => 'and again')).resolves.toBe('and again');
  });

  it('refuses a limit below 1', () => {
    expect(() => new AnswerGate(0)).toThrow(/at least 1/);
    expect(() => new AnswerGate(1.5)).toThrow(/at least 1/);
  });
});

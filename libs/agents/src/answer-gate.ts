/**
 * At most `limit` of a host's zones working on an answer at once, the others waiting their turn in
 * the order their requests came. A host's zones share its solver threads, so more zones at once only
 * hold more models and schedules in memory while they wait for a thread: with one thread more than
 * there are solver threads, one zone builds its model while others solve, and the answers come as
 * soon as before.
 */
export class AnswerGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`an answer gate lets at least 1 zone through, got ${limit}`);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((go) => this.waiting.push(go));
    else this.active++;
    try {
      return await work();
    } finally {
      // The next waiting zone takes this one's place (active stays the same), or the place frees.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** The gate for `zones` zones sharing `solverThreads` solver threads in one process: one zone more than threads, none when that is all of them. */
export function answerGateFor(zones: number, solverThreads: number): AnswerGate | undefined {
  return zones > solverThreads + 1 ? new AnswerGate(solverThreads + 1) : undefined;
}

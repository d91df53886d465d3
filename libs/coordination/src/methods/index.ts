import { InputError } from '@zonal/core';
import type { LpExporter } from '@zonal/solver';
import type { NegotiationSetup } from '../setup';
import { createAdmm } from './admm';
import type { CoordinationMethod, MethodFactory } from './method';
import { createTargetPenalty } from './target-penalty';

/** Coordination methods by name (SPEC §8): a new one is one module plus one line here. */
const methods: Record<string, MethodFactory> = {
  admm: createAdmm,
  'target-penalty': createTargetPenalty,
};

export function createMethod(name: string, setup: NegotiationSetup, exporter?: LpExporter): CoordinationMethod {
  const factory = methods[name];
  if (!factory) throw new InputError(`unknown coordination method "${name}"`, 'negotiation.method', `known: ${Object.keys(methods).join(', ')}`);
  return factory(setup, exporter);
}

export type { CoordinationMethod, RoundUpdate } from './method';

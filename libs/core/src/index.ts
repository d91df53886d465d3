export { createRng, type Rng } from './rng';
export { ZonalError, InputError, isZonalError } from './errors';

/**
 * Errors a user can act on. The CLI prints `message` (and `hint`) and exits non-zero, never a stack
 * trace. Anything that is not a ZonalError is a bug and is reported as one.
 */
export class ZonalError extends Error {
  constructor(
    message: string,
    /** Where the problem is: a field path ("ev.arrival.meanH"), a bus, a constraint family. */
    readonly where?: string,
    readonly hint?: string,
  ) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'ZonalError';
  }
}

/** Input that cannot be read or makes no physical sense (a file, a flag, a scenario field). */
export class InputError extends ZonalError {
  override name = 'InputError';
}

export function isZonalError(e: unknown): e is ZonalError {
  return e instanceof ZonalError;
}

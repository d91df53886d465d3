export { createRng, type Rng } from './rng';
export { ZonalError, InputError, isZonalError } from './errors';
export { csvRecords, csvCell, type CsvRecord } from './csv';
export { parseClockText, dateOfDay, dayOfDate, CLOCK_FORMS, type ClockText } from './clock-text';

// Entry of the disaggregation worker thread: worker threads do not inherit the parent's TypeScript
// loader, so register tsx here, then load the worker proper.
import { register } from 'tsx/esm/api';

register();
await import('./disaggregate-worker.ts');

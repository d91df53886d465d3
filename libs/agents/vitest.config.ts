import { projectConfig } from '../../vitest.shared';
export default projectConfig(import.meta.dirname, { testTimeoutMs: 180_000 });

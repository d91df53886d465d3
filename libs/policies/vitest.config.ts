import { projectConfig } from '../../vitest.shared';
export default projectConfig(import.meta.dirname, { testTimeoutMs: 120_000 });

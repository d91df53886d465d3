// What apps/*/bin/*.mjs run: the process's bundle (dist/<name>.mjs, tools/scripts/build.mjs) when it
// is newer than every source it was built from; when a source changed since, the bundle is rebuilt
// first (esbuild: a fraction of a second); only if that fails do the TypeScript sources run through
// tsx, with a one-line notice. So an edited source is never run stale, and a start costs one stat
// per source instead of transpiling them all.
//
// ZONAL_RUNTIME says what was chosen, and the processes a `zonal` process starts (`zonal sim`'s DSO
// and zones, `zonal dso`/`zonal zone`) inherit it: they run the same code without checking again.
// Set it yourself to `tsx` to run the sources with no bundle at all.
import { existsSync } from 'node:fs';

const DIST = new URL('../../dist/', import.meta.url);

/** Runs process `name` ('cli' | 'dso' | 'zone'): its bundle, or `source` (a file URL of its main.ts) through tsx. */
export async function launch(name, source) {
  const bundle = new URL(`${name}.mjs`, DIST);
  if (await bundleUsable(name, bundle)) {
    process.env.ZONAL_RUNTIME = 'bundle';
    if (process.env.ZONAL_DEBUG) process.setSourceMapsEnabled?.(true);
    await import(bundle.href);
    return;
  }
  process.env.ZONAL_RUNTIME = 'tsx';
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
}

async function bundleUsable(name, bundle) {
  const asked = process.env.ZONAL_RUNTIME;
  if (asked === 'tsx') return false;
  // A parent `zonal` process checked (or built) it a moment ago.
  if (asked === 'bundle' && existsSync(bundle)) return true;
  const { build, describeBuildError, isFresh } = await import('./build.mjs');
  if (isFresh(name)) return true;
  const built = existsSync(new URL('build.json', DIST));
  try {
    const { ms } = await build();
    if (process.stderr.isTTY) process.stderr.write(`zonal: ${built ? 'sources changed since the last build' : 'no build yet'}: built dist/ in ${(ms / 1000).toFixed(1)} s\n`);
    return true;
  } catch (e) {
    process.stderr.write(`zonal: dist/ is out of date and rebuilding it failed (${describeBuildError(e)}): running the TypeScript sources through tsx\n`);
    return false;
  }
}

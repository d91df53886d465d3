#!/usr/bin/env node
// Bundles the `zonal` processes to plain JavaScript under dist/, so none of them transpiles TypeScript
// at start (tsx took ~0.65 s of every start): dist/cli.mjs, dist/dso.mjs, dist/zone.mjs and the solver
// worker dist/worker-boot.mjs. The CLI is split at its commands (each loaded when it runs, beside it
// as dist/cli-*.mjs): `zonal --help` loads commander and the command list, not every command's code. `npm ci` runs it (the root `prepare` script); apps/*/bin/*.mjs run a
// bundle only while it is newer than every source it was built from (tools/scripts/launch.mjs).
//
// esbuild: the field's standard bundler, already in the tree through vite (and tsx). The workspace's
// own @zonal/* sources are bundled, and so are the npm packages they use (NATS, zod, commander, …):
// resolving and translating ~100 files from node_modules was a third of a start (0.44 s → 0.30 s for
// `zonal --help`). KEEP_EXTERNAL load from node_modules at run time: highs finds its .wasm beside
// itself, echarts' file is read from there, the rest are tools and tests'. Bundled CommonJS packages
// `require` Node's built-ins: the banner gives the ES module a `require`.
//
// Files read at run time beside a source (the built-in scenarios, the policies' cases, the IEEE 33-bus
// data, package.json) are found through import.meta.url / import.meta.dirname. In a bundle those
// would name dist/, so each source's import.meta.url/dirname is rewritten to that source's own place in
// the repository (found relative to the bundle, so a moved checkout still works): a bundle reads what
// the sources read. One exception: libs/solver/src/worker-client.ts starts its worker from
// './worker-boot.mjs' beside itself, which in a bundle is the bundled worker, dist/worker-boot.mjs.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DIST = join(ROOT, 'dist');
/** What the build records: when it started and every source it read (the launcher's staleness check). */
export const STAMP = join(DIST, 'build.json');

/** Output name (dist/<name>.mjs) → entry point. */
export const ENTRIES = {
  cli: 'apps/cli/src/main.ts',
  dso: 'apps/dso/src/main.ts',
  zone: 'apps/zone/src/main.ts',
  'worker-boot': 'libs/solver/src/worker.ts',
};

/** Sources whose import.meta must stay the bundle's own (see the header). */
const KEEP_IMPORT_META = new Set(['libs/solver/src/worker-client.ts']);

const BANNER = [
  "import { fileURLToPath as __zonalFileURLToPath } from 'node:url';",
  "const __zonalRoot = new URL('../', import.meta.url);",
  'const __zonalSourceUrl = (p) => new URL(p, __zonalRoot).href;',
  'const __zonalSourcePath = (p) => __zonalFileURLToPath(new URL(p, __zonalRoot));',
  "import { createRequire as __zonalCreateRequire } from 'node:module';",
  'const require = __zonalCreateRequire(import.meta.url);',
].join('\n');

const posix = (p) => p.split(sep).join('/');

/** Each source's import.meta.url/dirname/filename becomes its own place in the repository. */
const sourcePlaces = {
  name: 'zonal-source-places',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const rel = posix(relative(ROOT, args.path));
      if (rel.startsWith('..') || rel.includes('node_modules/')) return undefined;
      let text = readFileSync(args.path, 'utf8');
      if (!KEEP_IMPORT_META.has(rel) && text.includes('import.meta.')) {
        const dir = posix(dirname(rel));
        text = text
          .replaceAll('import.meta.url', `__zonalSourceUrl(${JSON.stringify(rel)})`)
          .replaceAll('import.meta.dirname', `__zonalSourcePath(${JSON.stringify(dir)})`)
          .replaceAll('import.meta.filename', `__zonalSourcePath(${JSON.stringify(rel)})`);
      }
      return { contents: text, loader: 'ts' };
    });
  },
};

/** npm packages node_modules serves at run time (the header says why); every other bare import is bundled. */
const KEEP_EXTERNAL = ['highs', 'echarts', 'esbuild', 'tsx', 'puppeteer-core', 'vitest', 'fast-check'];
const keptExternal = (path) => KEEP_EXTERNAL.some((p) => path === p || path.startsWith(`${p}/`));

const keepExternal = {
  name: 'keep-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (keptExternal(args.path) ? { path: args.path, external: true } : undefined));
  },
};

/**
 * Builds dist/ and returns { ms, inputs }. Output files are written beside their final name and renamed
 * into place, so a process starting during a rebuild reads whole files.
 */
export async function build() {
  const { build: esbuild } = await import('esbuild');
  const startedAt = Date.now();
  const options = {
    absWorkingDir: ROOT,
    outdir: DIST,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    banner: { js: BANNER },
    plugins: [keepExternal, sourcePlaces],
    metafile: true,
    write: false,
    logLevel: 'silent',
  };
  const entries = (names) => Object.fromEntries(names.map((name) => [name, join(ROOT, ENTRIES[name])]));
  const results = await Promise.all([
    // The CLI's commands are imported when run (apps/cli/src/commands/index.ts): split there, each
    // command's code is a chunk beside dist/cli.mjs (dist/cli-<command>-<hash>.mjs, shared code in
    // dist/cli-chunk-<hash>.mjs), loaded only when that command runs.
    esbuild({ ...options, entryPoints: entries(['cli']), splitting: true, chunkNames: `${CLI_CHUNK_PREFIX}[name]-[hash]` }),
    esbuild({ ...options, entryPoints: entries(Object.keys(ENTRIES).filter((n) => n !== 'cli')) }),
  ]);
  const outputs = results.flatMap((r) => r.outputFiles);
  mkdirSync(DIST, { recursive: true });
  for (const f of outputs) {
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
  }
  removeStaleChunks(new Set(outputs.map((f) => f.path)), startedAt);
  // Inputs the launcher checks: the bundled sources and this script (a changed build is a stale bundle).
  const inputs = [...new Set([...results.flatMap((r) => Object.keys(r.metafile.inputs)), posix(relative(ROOT, fileURLToPath(import.meta.url)))])].sort();
  const tmp = `${STAMP}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ startedAt, esbuild: (await import('esbuild')).version, inputs }, null, 1)}\n`);
  renameSync(tmp, STAMP);
  return { ms: Date.now() - startedAt, inputs };
}

/** The CLI's chunks' names begin with this (the build removes those an earlier build left). */
const CLI_CHUNK_PREFIX = 'cli-';

/**
 * Chunks of earlier builds (their hashes differ, so each build's are new files), once they are
 * `STALE_CHUNK_AGE_MS` old: a `zonal` process started on the build before may still import one.
 */
function removeStaleChunks(written, now) {
  for (const name of readdirSync(DIST)) {
    const path = join(DIST, name);
    if (!name.startsWith(CLI_CHUNK_PREFIX) || !/\.mjs(\.map)?$/.test(name) || written.has(path) || written.has(path.replace(/\.map$/, ''))) continue;
    // Processes started together may each rebuild (the scale bench's DSO and hosts): another's build
    // can remove a stale chunk between this listing and its stat.
    let mtimeMs;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch (e) {
      if (e?.code === 'ENOENT') continue;
      throw e;
    }
    if (mtimeMs < now - STALE_CHUNK_AGE_MS) rmSync(path, { force: true });
  }
}
const STALE_CHUNK_AGE_MS = 10 * 60_000;

/**
 * True when dist/<name>.mjs exists and no source it was built from changed since the build started
 * (a source edited, removed, or checked out since). One stat per source: a few milliseconds.
 */
export function isFresh(name) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
    statSync(join(DIST, `${name}.mjs`));
  } catch {
    return false;
  }
  for (const input of stamp.inputs) {
    try {
      if (statSync(join(ROOT, input)).mtimeMs > stamp.startedAt) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** An esbuild failure in one line: the first error's file, line and text. */
export function describeBuildError(e) {
  const first = e?.errors?.[0];
  if (!first) return String(e?.message ?? e).split('\n')[0];
  const where = first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
  return `${where}${first.text}${e.errors.length > 1 ? ` (and ${e.errors.length - 1} more)` : ''}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { ms, inputs } = await build();
    console.log(`zonal: built ${Object.keys(ENTRIES).map((n) => `dist/${n}.mjs`).join(', ')} from ${inputs.length} sources in ${(ms / 1000).toFixed(2)} s`);
  } catch (e) {
    console.error(`zonal: the build failed: ${describeBuildError(e)}`);
    process.exit(1);
  }
}

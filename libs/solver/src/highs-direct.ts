/**
 * HiGHS loaded with its WebAssembly memory in hand (loadHighsDirect), so the two calls that carry a
 * solve's bulk — an LP's arrays in, a starting basis in — write straight into that memory and call
 * HiGHS's C API (Highs_passLp, Highs_setBasis), as highs-js does after checking its input.
 *
 * Why: highs-js checks every entry of every array with a message label built for it (`"colCost[" +
 * index + "]"`, kept only to throw), and copies the row starts through a plain Array: loading a
 * 100 000-nonzero LP and its basis took 13 ms that way, 2.7 ms this way. Our arrays come from
 * ModelBuilder, whose own checks (finite coefficients, bounds, indices in range) have run already.
 *
 * Loading also hands HiGHS the process's compiled module (worker-client.ts compiledHighs) through
 * Emscripten's `instantiateWasm`: highs-js 1.15.3 has no `wasmModule` setting, so before this each
 * worker read highs.wasm and compiled it again (V8's own cache of compiled modules shared the code).
 *
 * Where the memory is not known (HiGHS loaded some other way), the calls go through highs-js.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import loadHighs, { type Highs, type Model } from 'highs';
import type { ModelArrays } from './model';

/** The runtime's WebAssembly API, as much of it as is used here (the "lib" setting types only its namespace). */
interface WasmMemory { readonly buffer: ArrayBuffer }
interface WasmInstance { readonly exports: Record<string, unknown> }
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WebAssembly.Module>;
  instantiate(module: WebAssembly.Module, imports: object): Promise<WasmInstance>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const memories = new WeakMap<Highs, WasmMemory>();

/** HiGHS's C API functions and the allocator, as the Emscripten module exports them. */
interface CApi {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _Highs_passLp(...args: number[]): number;
  _Highs_setBasis(highs: number, colStatus: number, rowStatus: number): number;
}

/** HiGHS's WebAssembly memory can grow to 2 GiB (32-bit pointers, STACK.md). */
const MEMORY_LIMIT_BYTES = 2 ** 31;

/** HiGHS's memory cannot take what a call needs: the solve is out of memory, whatever the heap's size now. */
export class HighsOutOfMemory extends Error {
  override name = 'HighsOutOfMemory';
}

/** HiGHS's status codes (Highs_* return values). */
const STATUS_ERROR = -1;
/** HiGHS's matrix formats and objective senses. */
const ROW_WISE = 2, MINIMIZE = 1, MAXIMIZE = -1;

/**
 * HiGHS instantiated from `wasmModule` (default: highs.wasm compiled here), its memory kept for the
 * direct calls below.
 */
export async function loadHighsDirect(wasmModule?: WebAssembly.Module): Promise<Highs> {
  const compiled = wasmModule ?? (await wasm.compile(readFileSync(createRequire(import.meta.url).resolve('highs/runtime'))));
  let memory: WasmMemory | undefined;
  let failed!: (e: unknown) => void;
  const failure = new Promise<never>((_, reject) => { failed = reject; });
  const settings = {
    instantiateWasm(imports: object, done: (instance: WasmInstance) => void): object {
      wasm.instantiate(compiled, imports).then((instance) => {
        memory = Object.values(instance.exports).find((e): e is WasmMemory => e instanceof wasm.Memory);
        done(instance);
      }, failed);
      // Emscripten's contract: an empty object now, the exports through `done`.
      return {};
    },
  };
  const highs = await Promise.race([(loadHighs as (s: object) => Promise<Highs>)(settings), failure]);
  if (memory && reachesCApi(highs)) memories.set(highs, memory);
  return highs;
}

/** The C API and a model's pointer are where this file expects them (a highs-js other than 1.15.3 may differ): else highs-js's own calls. */
function reachesCApi(highs: Highs): boolean {
  const api = highs as unknown as Partial<CApi>;
  if ([api._malloc, api._free, api._Highs_passLp, api._Highs_setBasis].some((f) => typeof f !== 'function')) return false;
  const probe = highs.createModel();
  try {
    return typeof (probe.raw as unknown as { _require?: unknown })._require === 'function' && Number.isInteger(pointerOf(probe));
  } finally {
    probe.dispose();
  }
}

/** The HiGHS instance behind a highs-js model (its pointer in WebAssembly memory). */
function pointerOf(model: Model): number {
  return (model.raw as unknown as { _require(callbackSafe: boolean): number })._require(false);
}

/** True when HiGHS was loaded by loadHighsDirect, so passLp can be used. */
export function passesDirect(highs: Highs): boolean {
  return memories.has(highs);
}

/**
 * An LP's arrays (no integers, no Hessian) into an empty model, by Highs_passLp (HiGHS loaded by
 * loadHighsDirect). Throws when HiGHS refuses them, as highs-js would.
 */
export function passLp(highs: Highs, model: Model, m: ModelArrays): void {
  const memory = memories.get(highs);
  if (!memory) throw new Error('passLp: HiGHS was not loaded by loadHighsDirect');
  const api = highs as unknown as CApi;
  const n = m.numCols, r = m.numRows, nnz = m.values.length;
  // Doubles first (8-byte aligned from malloc's block), then HiGHS's 32-bit integers.
  const doubles = [m.colCost, m.colLower, m.colUpper, m.rowLower, m.rowUpper, m.values];
  const ints = [m.rowStarts.subarray(0, r), m.colIndex];
  const bytes = 8 * (3 * n + 2 * r + nnz) + 4 * (r + nnz);
  const base = allocate(api, bytes, 'the model');
  try {
    // Views made after malloc: it may have grown (and so replaced) the memory's buffer.
    const pointers: number[] = [];
    let at = base;
    for (const a of doubles) { new Float64Array(memory.buffer, at, a.length).set(a); pointers.push(at); at += 8 * a.length; }
    for (const a of ints) { new Int32Array(memory.buffer, at, a.length).set(a); pointers.push(at); at += 4 * a.length; }
    const [cost, colLower, colUpper, rowLower, rowUpper, values, starts, indices] = pointers;
    const status = api._Highs_passLp(pointerOf(model), n, r, nnz, ROW_WISE, m.sense === 'maximize' ? MAXIMIZE : MINIMIZE, m.objectiveConstant, cost, colLower, colUpper, rowLower, rowUpper, starts, indices, values);
    if (status === STATUS_ERROR) throw new Error('HiGHS refused the model (Highs_passLp)');
  } finally {
    api._free(base);
  }
}

/** A basis into a model, by Highs_setBasis. Throws when HiGHS refuses it, as highs-js would. */
export function setBasis(highs: Highs, model: Model, colStatus: Int32Array, rowStatus: Int32Array): void {
  const memory = memories.get(highs);
  if (!memory) {
    model.setBasis({ colStatus, rowStatus });
    return;
  }
  const api = highs as unknown as CApi;
  const base = allocate(api, 4 * (colStatus.length + rowStatus.length), 'the basis');
  try {
    new Int32Array(memory.buffer, base, colStatus.length).set(colStatus);
    new Int32Array(memory.buffer, base + 4 * colStatus.length, rowStatus.length).set(rowStatus);
    if (api._Highs_setBasis(pointerOf(model), base, base + 4 * colStatus.length) === STATUS_ERROR) throw new Error('HiGHS refused the basis (Highs_setBasis)');
  } finally {
    api._free(base);
  }
}

/**
 * `bytes` of HiGHS's memory (free them with `_free`). More than its 2 GiB is refused before malloc
 * sees it: malloc's size is a 32-bit number, and a larger one would wrap to a small block.
 */
function allocate(api: CApi, bytes: number, what: string): number {
  const out = (): never => { throw new HighsOutOfMemory(`HiGHS's memory cannot hold ${what} (${bytes} bytes)`); };
  if (bytes >= MEMORY_LIMIT_BYTES) out();
  const base = api._malloc(Math.max(8, bytes));
  if (!base) out();
  return base;
}

/**
 * `--export-lp DIR`: every model a command solves, one file per solve, named with a zero-padded
 * solve index (`0001-dso.lp`, `0002-dso.lp`, ...; SPEC §2). One exporter is shared by every solve of
 * a command, so the last file in lexical order is the final solve, whose objective the command
 * reports. Numbered `.lp` files left in DIR by an earlier run are removed first, or they would
 * break that rule.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@zonal/core';
import { toCplexLp, type LpFormatOptions } from './lp-format';
import type { ModelBuilder } from './model';

const MAX_FILES = 9999;
const EXPORTED_FILE = /^\d{4}-[A-Za-z0-9_.-]+\.lp$/;
const LABEL = /^[A-Za-z0-9_.-]+$/;

export class LpExporter {
  /** Paths written so far, in solve order. */
  readonly files: string[] = [];

  /** `dir` undefined: export disabled (write() does nothing), so commands can pass the flag through. */
  constructor(
    readonly dir: string | undefined,
    readonly label?: string,
    private readonly format: LpFormatOptions = {},
  ) {
    if (label !== undefined) checkLabel(label);
    if (dir === undefined) return;
    try {
      mkdirSync(dir, { recursive: true });
      for (const f of readdirSync(dir)) if (EXPORTED_FILE.test(f)) rmSync(join(dir, f));
    } catch (e) {
      throw new InputError(`cannot use "${dir}" as the LP export directory: ${(e as Error).message}`, '--export-lp');
    }
  }

  get enabled(): boolean {
    return this.dir !== undefined;
  }

  /** Writes `NNNN-<label>.lp` (label: the argument, else the exporter's, else the model's name). */
  write(model: ModelBuilder, label?: string): string | undefined {
    if (this.dir === undefined) return undefined;
    const name = label ?? this.label ?? model.name;
    checkLabel(name);
    const n = this.files.length + 1;
    if (n > MAX_FILES) throw new InputError(`more than ${MAX_FILES} solves to export: the file numbering would lose its order`, '--export-lp');
    const file = join(this.dir, `${String(n).padStart(4, '0')}-${name}.lp`);
    const text = toCplexLp(model, this.format);
    try {
      writeFileSync(file, text);
    } catch (e) {
      throw new InputError(`cannot write ${file}: ${(e as Error).message}`, '--export-lp');
    }
    this.files.push(file);
    return file;
  }
}

function checkLabel(label: string): void {
  if (!LABEL.test(label)) throw new InputError(`file label "${label}" must be letters, digits, "_", "." or "-"`, '--export-lp');
}

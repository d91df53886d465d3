import { InputError } from './errors';

/** One CSV record and the line it starts on (1-based, the header being line 1). */
export interface CsvRecord {
  line: number;
  cells: string[];
}

/**
 * RFC 4180 records of a CSV text: comma-separated, LF or CRLF, a quoted cell may hold commas, doubled
 * quotes and line breaks; blank lines are skipped and a leading UTF-8 BOM is dropped. Malformed quoting
 * is an InputError naming `source` and the line.
 */
export function csvRecords(text: string, source: string): CsvRecord[] {
  text = text.replace(/^\uFEFF/, '');
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = 0, line = 1;
  const endOfLine = (): void => {
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
  };
  while (i < n) {
    if (text[i] === '\r' || text[i] === '\n') {
      endOfLine();
      continue;
    }
    const start = line;
    const cells: string[] = [];
    for (;;) {
      let cell = '';
      if (text[i] === '"') {
        for (i++; ; i++) {
          if (i >= n) throw new InputError('a quoted cell is not closed', `${source} line ${start}`);
          if (text[i] === '"' && text[i + 1] === '"') {
            cell += '"';
            i++;
          } else if (text[i] === '"') {
            i++;
            break;
          } else {
            if (text[i] === '\n') line++;
            cell += text[i];
          }
        }
        if (i < n && !',\r\n'.includes(text[i])) throw new InputError('text after the closing quote of a cell', `${source} line ${line}`);
      } else {
        const from = i;
        while (i < n && !',\r\n'.includes(text[i])) {
          if (text[i] === '"') throw new InputError('a quote inside an unquoted cell; quote the whole cell and double the quote', `${source} line ${line}`);
          i++;
        }
        cell = text.slice(from, i);
      }
      cells.push(cell);
      if (text[i] !== ',') break;
      i++;
    }
    records.push({ line: start, cells });
    endOfLine();
  }
  return records;
}

/** A cell written so that `csvRecords` reads it back. */
export function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

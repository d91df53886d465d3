import Table from 'cli-table3';

/**
 * A cli-table3 table that colours its borders and header only on a terminal that wants colour:
 * piped output, a log file, or `NO_COLOR` set (https://no-color.org) get plain text.
 */
export function table(options: Table.TableConstructorOptions = {}): Table.Table {
  const plain = !process.stdout.isTTY || process.env.NO_COLOR !== undefined;
  return new Table(plain ? { ...options, style: { ...options.style, head: [], border: [] } } : options);
}

/**
 * Column alignment as Go's text/tabwriter does it for the docker CLI's tables
 * (minwidth 10, tabwidth 1, padding 3, pad with spaces, no flags): every tab-terminated cell is padded
 * to its column's width; the text after a line's last tab is written as it is.
 */
export function alignColumns(text: string, minWidth = 10, padding = 3): string {
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const width = (s: string) => [...s].length;
  const widths: number[] = [];
  const out: string[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      out.push(cells.map((c, j) => (j < widths.length && j < cells.length - 1 ? c + ' '.repeat(Math.max(0, widths[j]! - width(c))) : c)).join(''));
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let row = line0; row < line1; row++) {
      if (column >= lines[row]!.length - 1) continue;
      // a block of consecutive lines that have a cell in this column
      writeLines(line0, row);
      line0 = row;
      let w = minWidth;
      for (; row < line1 && column < lines[row]!.length - 1; row++) w = Math.max(w, width(lines[row]![column]!) + padding);
      widths.push(w);
      format(line0, row);
      widths.pop();
      line0 = row;
      row--;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}

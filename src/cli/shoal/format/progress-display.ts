/**
 * The docker CLI's progress display (jsonmessage) for `service create/update/scale/rollback`:
 * on a terminal each ID keeps its own line, rewritten in place, with a progress bar when the terminal is
 * wider than 110 columns, and the cursor waits on the line below them; piped, a line is printed for every
 * update that has no bar to show.
 */
export interface ProgressUpdate {
  id: string;
  /** The text after `id: ` (docker's Action or Message). */
  action: string;
  /** A bar out of `total` (docker's Current/Total with HideCounts). */
  current?: number;
  total?: number;
  /** A final message (docker's Message): on a terminal it ends the in-place lines. */
  message?: boolean;
}

export class ProgressDisplay {
  private readonly lines = new Map<string, number>();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
    private readonly columns = 200,
  ) {}

  private bar(u: ProgressUpdate): string {
    if (!u.total || (u.current ?? 0) <= 0 || this.columns <= 110) return '';
    const filled = Math.min(50, Math.trunc((Math.trunc(((u.current ?? 0) / u.total) * 100)) / 2));
    return `[${'='.repeat(filled)}>${' '.repeat(50 - filled)}] `;
  }

  write(u: ProgressUpdate): void {
    const hasBar = (u.current ?? 0) > 0 && !!u.total;
    if (!this.tty) {
      if (!hasBar) this.out.write(`${u.id}: ${u.action}\n`);
      return;
    }
    if (u.message) {
      this.lines.clear();
      this.out.write(`${u.id}: ${u.action}\n`);
      return;
    }
    let line = this.lines.get(u.id);
    if (line === undefined) {
      line = this.lines.size;
      this.lines.set(u.id, line);
      this.out.write('\n');
    }
    const up = this.lines.size - line;
    if (up > 0) this.out.write(`\x1b[${up}A`);
    this.out.write(`\x1b[2K\r${u.id}: ${u.action} ${this.bar(u)}\r`);
    if (up > 0) this.out.write(`\x1b[${up}B`);
  }
}

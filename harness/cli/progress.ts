/**
 * Progress for long commands: a redrawn line on a terminal, plain lines when stdout is not a TTY or
 * in CI (so logs stay readable). Always on stderr, so `--json` output on stdout stays clean.
 */
export interface Progress {
  start(total: number): void;
  step(label: string): void;
  done(label: string, ok: boolean, detail?: string): void;
  finish(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  const ci = (process.env.CI ?? '').toLowerCase();
  // CI=false or CI=0 is "not CI" (as in test/toxiproxy/support.ts); any other value means a log file.
  const live = stream.isTTY === true && (ci === '' || ci === 'false' || ci === '0') && !quiet;
  let total = 0;
  let current = 0;
  const bar = (): string => {
    const width = 24;
    const filled = total ? Math.round((current / total) * width) : 0;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${current}/${total}`;
  };
  return {
    start(n) {
      total = n;
      current = 0;
    },
    step(label) {
      if (quiet) return;
      if (live) stream.write(`\r\x1b[2K${bar()} ${label}`);
    },
    done(label, ok, detail) {
      current++;
      if (quiet) return;
      const line = `${ok ? 'PASS' : 'FAIL'} ${label}${detail ? `  ${detail}` : ''}`;
      if (live) stream.write(`\r\x1b[2K${line}\n${bar()}`);
      else stream.write(`${line}\n`);
    },
    finish() {
      if (live && !quiet) stream.write('\r\x1b[2K');
    },
  };
}

/**
 * What `flatline --help` lists for the commands whose modules are heavy (check, sweep, merge). The
 * CLI loads a command's module only when that command runs or its help is asked for (main.ts); the
 * top-level help shows these lines instead, which is what keeps `flatline --help` fast.
 */
import { PROPERTY_NAMES } from '../property/names.ts';

export interface CommandLine {
  args: string;
  description: string;
}

export const LAZY_COMMANDS = {
  check: {
    args: '[properties]',
    description: `property tests, on the simulator or on real TCP through Toxiproxy: ${PROPERTY_NAMES.join(', ')}`,
  },
  sweep: {
    args: '[sweep.yaml]',
    description:
      'sweep heartbeat configurations over fault scenarios, latency profiles and seeds; recommend one',
  },
  merge: {
    args: '<files...>',
    description:
      'join the result files of run, sweep or check --shard i/n --results … into the reports and exit code of one unsharded run',
  },
} as const satisfies Record<string, CommandLine>;

export type LazyCommand = keyof typeof LAZY_COMMANDS;

/** The command that argv runs or asks help for (`flatline help sweep`, `flatline sweep --help`). */
export function commandOf(argv: readonly string[]): string | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/** `--workers` of run, sweep and check. */
export const WORKERS_HELP =
  'processes to spread the work over (default: every core on the simulator, 1 on a real network); the results are the same for any count';

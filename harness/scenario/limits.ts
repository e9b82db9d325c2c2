/**
 * What a scenario may ask of flatline, at most: bounds on the file, on the parsed document and on the
 * simulated work, so that bad input (a typo, a fuzzer, a file that is not a scenario) ends in a
 * ScenarioError naming the limit — exit 2 on the command line — never a hang or an out-of-memory.
 *
 * Every limit is far above what a real scenario asks for (the built-in ones are under 3 KB, have at
 * most 4 faults, 20 clients and last at most an hour):
 *
 * - a file is at most 256 KiB, checked before parsing (parsing is linear, about 1 s per MB);
 * - at most 1000 faults and 1000 expectations, checked before validating them;
 * - at most 500 clients: the simulator has addresses for 762 hosts (three TEST-NETs), of which the
 *   server and the proxy take two (700 clients pinging every 30 s for 10 minutes take 8 s);
 * - every duration (run, fault times, toxic attributes, subject settings) at most 7 days, and the run
 *   at most 7 days of scenario time: far beyond any soak test, and below 2³¹−1 ms (24.8 days), past
 *   which Node's timers — and the simulator's, which copy them — fire after 1 ms instead;
 * - at most 50 client-days (clients × duration) per run, and at most 250,000 heartbeats and other
 *   timed events (the reference subject's pings, server pings and business messages, reconnect
 *   attempts, burst-loss state switches): the simulator runs about 10,000 heartbeats a second and
 *   keeps about 4 KB per heartbeat (497,000 pings took 51 s and 1.9 GB), so that is under half a
 *   minute and 1 GB — a day of 50 clients pinging every 30 s is 144,000;
 * - YAML aliases: at most 1000 anchors and 1000 aliases, yaml's maxAliasCount rule (1000, replayed
 *   with a position) and at most 100,000 values added by aliases, each reported where it is crossed;
 * - names (scenario, subject, fault ids, toxic names) at most 200 characters, without control,
 *   invisible or bidi characters;
 * - at most 10 problems listed per file, echoed values cut at 80 characters, control, invisible and
 *   bidi characters escaped.
 */

import type { ReferenceConfig } from '../subjects/reference-config.ts';
import { formatDuration } from './duration.ts';
import { ECHO } from './text.ts';

const DAY = 86_400_000;

export const LIMITS = {
  /** Bytes of a scenario file (or text), checked before parsing. */
  fileBytes: 256 * 1024,
  faults: 1000,
  expectations: 1000,
  clients: 500,
  /** Any duration, in ms (a run's, a fault's, a toxic's, a subject setting's). */
  duration: 7 * DAY,
  /** |clock-skew offset|, ms: a wall clock moved by up to a century is still a valid Date. */
  skew: 36_525 * DAY,
  /** clients × duration, in ms of one client's time. */
  clientTime: 50 * DAY,
  /** Heartbeats and other timed events a run may simulate. */
  events: 250_000,
  /** Anchors, and aliases, in one YAML file (scenarios use a handful). */
  aliases: 1000,
  /** yaml's maxAliasCount: alias resolutions × the aliases inside what they resolve to. */
  aliasCount: 1000,
  /** Values that aliases may add to the document when expanded. */
  aliasValues: 100_000,
  /** Problems listed per file; the rest are counted. */
  issues: 10,
  /** Characters of a name: scenario, subject, fault id, toxic name. */
  label: 200,
  /** Characters of a value echoed in a message. */
  echo: ECHO,
} as const;

/** 262144 → "256 KiB". */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

/** What a duration limit reads as in a message: "7 days (168h)". */
export function durationLimit(ms: number): string {
  if (ms % DAY !== 0) return formatDuration(ms);
  return `${ms / DAY} day${ms === DAY ? '' : 's'} (${formatDuration(ms)})`;
}

/** One source of simulated work: how many events, what it is, and the setting to change. */
export interface WorkPart {
  count: number;
  /** "pings: 1 client × 30m ÷ interval 1ms" */
  what: string;
  /** Where in the scenario the knob that drives it is (the loader points there). */
  path: (string | number)[];
}

/** The parts of a scenario the estimate reads (kept structural: schema.ts imports this module). */
interface WorkInput {
  duration: number;
  clients: number;
  faults: readonly { at: number; until?: number; fault: { type: string } }[];
}

const per = (clients: number) => `${clients} client${clients === 1 ? '' : 's'}`;

/**
 * The timed events a run will simulate, by source, largest first: what the simulator's time is spent
 * on. `reference` is the reference subject's config (other subjects' rates are their own business).
 */
export function simulatedWork(s: WorkInput, reference: ReferenceConfig | undefined): WorkPart[] {
  const parts: WorkPart[] = [];
  const { clients, duration } = s;
  const span = (d: number) => `${per(clients)} × ${formatDuration(d)}`;
  const rate = (every: number) => Math.max(1, every);
  if (reference) {
    const c = reference;
    const interval = c.adaptive ? Math.min(c.adaptive.busyInterval, c.adaptive.idleInterval) : c.interval;
    const intervalKey = c.adaptive ? ['config', 'adaptive'] : ['config', 'interval'];
    parts.push({
      count: (clients * duration) / rate(interval),
      what: `pings: ${span(duration)} ÷ ${c.adaptive ? 'adaptive interval' : 'interval'} ${formatDuration(interval)}`,
      path: intervalKey,
    });
    if (c.serverHeartbeat) {
      parts.push({
        count: (clients * duration) / rate(c.serverHeartbeat.interval),
        what: `server pings: ${span(duration)} ÷ serverHeartbeat interval ${formatDuration(c.serverHeartbeat.interval)}`,
        path: ['config', 'serverHeartbeat'],
      });
    }
    if (c.business) {
      parts.push({
        count: (clients * duration) / rate(c.business.every),
        what: `business messages: ${span(duration)} ÷ business.every ${formatDuration(c.business.every)}`,
        path: ['config', 'business', 'every'],
      });
    }
    // During an outage a client keeps trying to reconnect, about every cap/2 at worst (full jitter).
    const outage = Math.min(
      duration,
      s.faults.reduce((sum, f) => sum + ((f.until ?? duration) - f.at), 0),
    );
    if (outage > 0) {
      parts.push({
        count: (clients * outage * 2) / rate(c.backoff.cap),
        what: `reconnect attempts: ${span(outage)} of faults ÷ (backoff.cap ${formatDuration(c.backoff.cap)} / 2)`,
        path: ['config', 'backoff', 'cap'],
      });
    }
  }
  s.faults.forEach((f, i) => {
    if (f.fault.type !== 'burst-loss') return;
    const { good, bad } = f.fault as unknown as { good: number; bad: number };
    const length = (f.until ?? duration) - f.at;
    // Each state lasts at least 1 ms; every switch changes the loss of every client's path.
    parts.push({
      count: (clients * length * 2) / (rate(good) + rate(bad)),
      what: `burst-loss state switches of faults[${i}]: ${span(length)} ÷ mean state length ${formatDuration((rate(good) + rate(bad)) / 2)}`,
      path: ['faults', i, 'fault', good <= bad ? 'good' : 'bad'],
    });
  });
  return parts.sort((a, b) => b.count - a.count);
}

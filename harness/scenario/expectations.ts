/**
 * Verdicts: each expectation of a scenario checked against the metrics of its run. One function per
 * expectation type; each returns a verdict whose detail says what was measured against what.
 */

import { noHammering } from '../observe/bounds.ts';
import { faultClass } from '../observe/fault-bounds.ts';
import type { ExpectationVerdict, ScenarioResult, Side } from '../result.ts';
import type { Expectation, FaultEntry, ReferenceConfig } from './schema.ts';

type Measured = Pick<ScenarioResult, 'detections' | 'reconnects' | 'falseDetections' | 'overhead'>;

export interface ExpectationContext {
  measured: Measured;
  faults: FaultEntry[];
  config: ReferenceConfig | undefined;
  /** Subject events by type, with time and side. */
  subjectEvents: { t: number; side: Side; type: string; state?: string; reason?: string }[];
  /** Attempts (dials) per client host within [from, to]. */
  attempts(from: number, to: number): number;
}

const sidesOf = (side: string): Side[] =>
  side === 'both' || side === 'either' ? ['client', 'server'] : [side as Side];

function targetFaults(ctx: ExpectationContext, id: string | undefined): FaultEntry[] {
  if (id) return ctx.faults.filter((f) => f.id === id);
  return ctx.faults.filter((f) => faultClass(f) === 'dead');
}

function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms} ms` : '∞';
}

function name(e: Expectation): string {
  const bits = Object.entries(e)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`);
  return `${e.type}${bits.length ? ` (${bits.join(', ')})` : ''}`;
}

export function evaluate(e: Expectation, ctx: ExpectationContext): ExpectationVerdict {
  const verdict = (passed: boolean, detail: string): ExpectationVerdict => ({
    name: name(e),
    passed,
    detail,
  });
  const m = ctx.measured;
  switch (e.type) {
    case 'detect': {
      const faults = targetFaults(ctx, e.fault);
      if (faults.length === 0)
        return verdict(false, 'no fault of a kind that should be detected in this scenario');
      const lines: string[] = [];
      let ok = true;
      for (const f of faults) {
        const perSide = sidesOf(e.side).map((side) => {
          const d = m.detections.filter((x) => x.fault === f.id && x.side === side);
          if (d.length === 0) return { side, ok: false, text: `${side}: no detection of ${f.id}` };
          const bad = d.filter((x) => {
            const inTime =
              e.within === 'bound'
                ? x.delta >= x.bound.min - e.tolerance && x.delta <= x.bound.max + e.tolerance
                : x.delta <= e.within + e.tolerance;
            const inReason = !e.reason || e.reason.includes(x.reason);
            return !(inTime && inReason);
          });
          const text = d
            .map(
              (x) =>
                `${side} ${x.conn} ${x.reason} after ${x.delta} ms (${e.within === 'bound' ? `bound [${x.bound.min}, ${x.bound.max}]` : `within ${e.within}`}${e.tolerance ? ` ± ${e.tolerance}` : ''}${e.reason ? `, reason ${e.reason.join('|')}` : ''})`,
            )
            .join('; ');
          return { side, ok: bad.length === 0, text };
        });
        const fOk = e.side === 'either' ? perSide.some((s) => s.ok) : perSide.every((s) => s.ok);
        ok &&= fOk;
        lines.push(`${f.id}: ${perSide.map((s) => s.text).join('; ')}`);
      }
      return verdict(ok, lines.join(' / '));
    }
    case 'noFalseDetection': {
      const bad = m.falseDetections.filter((x) => sidesOf(e.side).includes(x.side));
      return verdict(
        bad.length === 0,
        bad.length === 0
          ? 'no false detection'
          : bad.map((x) => `${x.side} ${x.conn} ${x.reason} at ${x.at}`).join('; '),
      );
    }
    case 'falseDetection': {
      const fault = e.fault ? ctx.faults.find((f) => f.id === e.fault) : undefined;
      const found = m.falseDetections.filter(
        (x) =>
          sidesOf(e.side).includes(x.side) &&
          (!fault || x.at >= fault.at) &&
          (e.within === undefined || !fault || x.at - fault.at <= e.within),
      );
      return verdict(
        found.length > 0,
        found.length > 0
          ? `expected mistake seen: ${found.map((x) => `${x.side} ${x.reason} at ${x.at}`).join('; ')}`
          : 'expected a false detection, saw none',
      );
    }
    case 'reconnect': {
      const clientDetections = m.detections.filter(
        (x) => x.side === 'client' && (!e.fault || x.fault === e.fault),
      );
      if (clientDetections.length === 0)
        return verdict(false, 'no client detection, so no reconnect to measure');
      const lines: string[] = [];
      let ok = true;
      for (const d of clientDetections) {
        const r = m.reconnects.find((x) => x.at >= d.at);
        if (!r) {
          ok = false;
          lines.push(`${d.conn}: never reconnected`);
          continue;
        }
        const good =
          e.within === 'bound' ? r.delta <= r.bound.max + e.tolerance : r.delta <= e.within + e.tolerance;
        ok &&= good;
        lines.push(
          `${r.client} reconnected ${r.delta} ms after heal in ${r.attempts} attempt(s) (${e.within === 'bound' ? `bound ≤ ${fmtMs(r.bound.max)}` : `within ${e.within}`})`,
        );
      }
      return verdict(ok, lines.join('; '));
    }
    case 'maxAttempts': {
      const faults = targetFaults(ctx, e.fault);
      const lines: string[] = [];
      let ok = true;
      for (const f of faults) {
        const to = f.until ?? Number.POSITIVE_INFINITY;
        const n = ctx.attempts(f.at, to);
        let limit: number;
        if (e.n === 'bound') {
          if (!ctx.config || f.until === undefined) {
            lines.push(`${f.id}: no bound without the reference config and a heal time`);
            ok = false;
            continue;
          }
          limit = noHammering({ backoff: ctx.config.backoff, outage: f.until - f.at, attemptMin: 0 }).max;
        } else limit = e.n;
        ok &&= n <= limit;
        lines.push(`${f.id}: ${n} attempt(s) during the outage, limit ${limit}`);
      }
      return verdict(ok, lines.join('; '));
    }
    case 'gaveUp': {
      const g = ctx.subjectEvents.find((x) => x.type === 'giveup');
      return verdict(g !== undefined, g ? `gave up at ${g.t}` : 'never gave up');
    }
    case 'state': {
      const fault = e.fault ? ctx.faults.find((f) => f.id === e.fault) : undefined;
      const s = ctx.subjectEvents.find(
        (x) =>
          x.type === 'state' &&
          x.side === e.side &&
          x.state === e.state &&
          (!fault || x.t >= fault.at) &&
          (e.within === undefined || x.t - (fault?.at ?? 0) <= e.within),
      );
      return verdict(
        s !== undefined,
        s ? `${e.side} reached ${e.state} at ${s.t}` : `${e.side} never reached ${e.state}`,
      );
    }
    case 'overhead': {
      const o = m.overhead[e.side];
      const okM = e.messagesPerHour === undefined || o.messagesPerHour <= e.messagesPerHour;
      const okB = e.bytesPerHour === undefined || o.bytesPerHour <= e.bytesPerHour;
      return verdict(okM && okB, `${e.side}: ${o.messagesPerHour} messages/h, ${o.bytesPerHour} bytes/h`);
    }
  }
}

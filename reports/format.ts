/**
 * Number formatting for reports. Measured times and bounds are integer scenario milliseconds and
 * are shown exactly (grouped with a thin space) so they can be compared digit by digit with the
 * `why` of a bound; charts and summaries use seconds or h:mm:ss.
 */

const THIN = '\u202F';

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, THIN);
}

/** 34990 → "34 990"; keeps up to `decimals` fraction digits (trailing zeros dropped). */
export function fmtNum(n: number, decimals = 0): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '∞';
  if (n === Number.NEGATIVE_INFINITY) return '−∞';
  const sign = n < 0 ? '−' : '';
  const fixed = Math.abs(n).toFixed(decimals);
  const [int, frac] = fixed.split('.');
  const trimmed = frac?.replace(/0+$/, '') ?? '';
  return sign + group(int ?? '0') + (trimmed.length > 0 ? '.' + trimmed : '');
}

/** Exact milliseconds: "34 990 ms". */
export function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? `${fmtNum(ms, 1)} ms` : fmtNum(ms);
}

/** Human scale for summaries: "850 ms", "34.99 s", "12 min 5 s", "1 h 2 min". */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return fmtNum(ms);
  const sign = ms < 0 ? '−' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${fmtNum(a, 1)} ms`;
  if (a < 60_000) return `${sign}${fmtNum(a / 1000, 2)} s`;
  const totalSeconds = Math.round(a / 1000);
  if (totalSeconds < 3600) {
    const m = Math.floor(totalSeconds / 60);
    const s = totalSeconds % 60;
    return s === 0 ? `${sign}${m} min` : `${sign}${m} min ${s} s`;
  }
  const totalMinutes = Math.round(a / 60_000);
  const h = Math.floor(totalMinutes / 60);
  const m = totalMinutes % 60;
  return m === 0 ? `${sign}${h} h` : `${sign}${h} h ${m} min`;
}

/** Clock position within a run: "00:20:00.000" (hh:mm:ss.mmm, like the chart axes). */
export function fmtClock(ms: number): string {
  if (!Number.isFinite(ms)) return fmtNum(ms);
  const sign = ms < 0 ? '−' : '';
  const a = Math.round(Math.abs(ms));
  const h = Math.floor(a / 3_600_000);
  const m = Math.floor((a % 3_600_000) / 60_000);
  const s = Math.floor((a % 60_000) / 1000);
  const frac = a % 1000;
  return `${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(frac).padStart(3, '0')}`;
}

/** A bound as an interval of exact ms: "[4 990, 34 990] ms". */
export function fmtInterval(min: number, max: number): string {
  return `[${fmtNum(min, 1)}, ${fmtNum(max, 1)}] ms`;
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return fmtNum(n);
  if (Math.abs(n) < 1024) return `${fmtNum(n, 0)} B`;
  if (Math.abs(n) < 1024 * 1024) return `${fmtNum(n / 1024, 1)} KiB`;
  return `${fmtNum(n / (1024 * 1024), 2)} MiB`;
}

/**
 * A probability near 1, such as the query accuracy P_A: as a percentage with enough digits that
 * anything short of 1 never reads as "100 %" (0.99999 → "99.999 %").
 */
export function fmtAccuracy(p: number): string {
  if (!Number.isFinite(p)) return fmtNum(p);
  if (p >= 1) return '100 %';
  const shortfall = (1 - p) * 100;
  const decimals = Math.min(6, Math.max(2, Math.ceil(-Math.log10(shortfall)) + 1));
  const shown = fmtNum(p * 100, decimals);
  return shown === '100' ? `> ${fmtNum(100 - 10 ** -decimals, decimals)} %` : `${shown} %`;
}

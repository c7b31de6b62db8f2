/**
 * What a load run measures and how its service levels are judged: latency recorders, counters,
 * and thresholds written as SLOs (`ack_ms p99 <= 100`, `lost == 0`). Pure: no sockets, no clock.
 */
import { percentile } from '../stats.ts';

/** The latencies (ms) a run records. */
export const LATENCIES = {
  ack_visitor_ms: 'visitor message sent → its ack received',
  ack_agent_ms: 'agent message sent → its ack received',
  delivery_to_agent_ms: 'visitor message sent → the agent’s desk receives it',
  delivery_to_visitor_ms: 'agent reply sent → the visitor receives it',
  assignment_ms: 'visitor asks for a human (start) → told an agent is assigned',
  resume_ms: 'reconnect → welcome (with the missed messages replayed after it)',
} as const;
export type LatencyName = keyof typeof LATENCIES;

/** The counts a run keeps. */
export const COUNTS = {
  visitors_started: 'visitor sessions started (open-loop arrivals)',
  visitors_served: 'visitors an agent was assigned to',
  visitors_completed: 'visitor sessions that ran to their end',
  messages_acked: 'messages acknowledged (visitors and agents)',
  lost: 'acknowledged messages that never reached the other side',
  errors: 'error frames, failed connections and unexpected closes',
  connections_peak: 'most connections open at once',
} as const;
export type CountName = keyof typeof COUNTS;

export class Measurements {
  readonly latencies = new Map<LatencyName, number[]>(Object.keys(LATENCIES).map((k) => [k as LatencyName, []]));
  readonly counts = new Map<CountName, number>(Object.keys(COUNTS).map((k) => [k as CountName, 0]));
  /** The first few errors, for the report. */
  readonly errorSamples: string[] = [];

  record(name: LatencyName, ms: number): void {
    this.latencies.get(name)!.push(ms);
  }
  add(name: CountName, n = 1): void {
    this.counts.set(name, this.counts.get(name)! + n);
  }
  peak(name: CountName, value: number): void {
    this.counts.set(name, Math.max(this.counts.get(name)!, value));
  }
  error(what: string): void {
    this.add('errors');
    if (this.errorSamples.length < 10) this.errorSamples.push(what);
  }
}

export type Stat = 'p50' | 'p90' | 'p99' | 'max' | 'count';
/** An SLO: a latency statistic or a count, compared with a bound. */
export type Threshold = { readonly metric: LatencyName | CountName; readonly stat: Stat | null; readonly op: '<=' | '>=' | '=='; readonly value: number };

/** Parses `ack_visitor_ms p99 <= 100` or `lost == 0`; throws naming what is wrong. */
export function parseThreshold(text: string): Threshold {
  const m = /^\s*(\w+)(?:\s+(p50|p90|p99|max|count))?\s*(<=|>=|==)\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m) throw new Error(`threshold "${text}": write it as "<latency> <p50|p90|p99|max|count> <=|>=|== <number>" or "<count> <op> <number>"`);
  const [, metric, stat, op, value] = m;
  const isLatency = metric! in LATENCIES;
  if (!isLatency && !(metric! in COUNTS)) throw new Error(`threshold "${text}": no metric ${metric}; latencies: ${Object.keys(LATENCIES).join(', ')}; counts: ${Object.keys(COUNTS).join(', ')}`);
  if (isLatency && !stat) throw new Error(`threshold "${text}": a latency needs a statistic (p50, p90, p99, max or count)`);
  if (!isLatency && stat) throw new Error(`threshold "${text}": ${metric} is a count; it takes no statistic`);
  return { metric: metric as LatencyName | CountName, stat: (stat as Stat | undefined) ?? null, op: op as Threshold['op'], value: Number(value) };
}

export const formatThreshold = (t: Threshold): string => `${t.metric}${t.stat ? ` ${t.stat}` : ''} ${t.op} ${t.value}`;

export function statOf(values: readonly number[], stat: Stat): number {
  if (stat === 'count') return values.length;
  if (stat === 'max') return values.length === 0 ? 0 : Math.max(...values);
  return percentile(values, Number(stat.slice(1)));
}

export type Verdict = { readonly threshold: Threshold; readonly actual: number; readonly passed: boolean };

export function judge(m: Measurements, thresholds: readonly Threshold[]): Verdict[] {
  return thresholds.map((threshold) => {
    const actual = threshold.stat ? statOf(m.latencies.get(threshold.metric as LatencyName) ?? [], threshold.stat) : (m.counts.get(threshold.metric as CountName) ?? 0);
    const passed = threshold.op === '<=' ? actual <= threshold.value : threshold.op === '>=' ? actual >= threshold.value : actual === threshold.value;
    return { threshold, actual, passed };
  });
}

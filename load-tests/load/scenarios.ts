/**
 * The load scenarios: who takes part, how visitors arrive (open loop: arrivals per second as a
 * function of time, whether or not earlier visitors are done), how they behave, and the service
 * levels the run must meet. Every figure can be overridden on the command line (load-tests/README.md).
 */
export type ScenarioName = 'visitor' | 'agent' | 'mixed' | 'spike' | 'soak';

export type Scenario = {
  readonly name: ScenarioName;
  readonly description: string;
  readonly durationS: number;
  /** Visitor arrivals per second, at its peak for shaped scenarios. */
  readonly rate: number;
  readonly agents: number;
  readonly agentCapacity: number;
  readonly messages: number;
  readonly intervalMs: number;
  readonly resume: boolean;
  /** How long a visitor waits for an agent before leaving; null: visitors chat without waiting (no agents). */
  readonly waitForAgentMs: number | null;
  /** The arrival rate at second `t` of a run of `durationS` seconds with peak `rate`. */
  readonly arrivals: (t: number, durationS: number, rate: number) => number;
  /** The SLOs (load-tests/load/slo.ts syntax). */
  readonly thresholds: readonly string[];
};

const steady = (_t: number, _d: number, rate: number): number => rate;

/** What every scenario must hold: nothing acknowledged is lost, nothing fails. */
const INTEGRITY = ['lost == 0', 'errors == 0'];

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  visitor: {
    name: 'visitor',
    description: 'Visitors only: connect, chat at a pace into the queue, drop the connection halfway and resume, leave.',
    durationS: 60,
    rate: 5,
    agents: 0,
    agentCapacity: 5,
    messages: 6,
    intervalMs: 1_000,
    resume: true,
    waitForAgentMs: null,
    arrivals: steady,
    thresholds: [...INTEGRITY, 'ack_visitor_ms p99 <= 100', 'resume_ms p99 <= 1000', 'visitors_completed >= 1'],
  },
  agent: {
    name: 'agent',
    description: 'Agents accept and answer: enough visitors arrive to keep them busy; every message is answered at once.',
    durationS: 60,
    rate: 4,
    agents: 10,
    agentCapacity: 5,
    messages: 4,
    intervalMs: 500,
    resume: false,
    waitForAgentMs: 30_000,
    arrivals: steady,
    thresholds: [...INTEGRITY, 'assignment_ms p99 <= 1000', 'delivery_to_agent_ms p99 <= 200', 'delivery_to_visitor_ms p99 <= 200', 'ack_agent_ms p99 <= 100', 'visitors_served >= 1'],
  },
  mixed: {
    name: 'mixed',
    description: 'A contact-center day in small: visitors arrive at a steady rate, wait for an agent, chat, some drop and resume, leave.',
    durationS: 120,
    rate: 5,
    agents: 20,
    agentCapacity: 5,
    messages: 5,
    intervalMs: 1_500,
    resume: true,
    waitForAgentMs: 60_000,
    arrivals: steady,
    thresholds: [...INTEGRITY, 'ack_visitor_ms p99 <= 100', 'ack_agent_ms p99 <= 100', 'delivery_to_agent_ms p99 <= 200', 'delivery_to_visitor_ms p99 <= 200', 'assignment_ms p90 <= 5000', 'visitors_served >= 1'],
  },
  spike: {
    name: 'spike',
    description: 'The mixed day with a burst: the middle third of the run brings arrivals at five times the base rate.',
    durationS: 90,
    rate: 10,
    agents: 20,
    agentCapacity: 5,
    messages: 4,
    intervalMs: 1_500,
    resume: false,
    waitForAgentMs: 60_000,
    // `rate` is the peak; before and after the burst a fifth of it.
    arrivals: (t, d, rate) => (t >= d / 3 && t < (2 * d) / 3 ? rate : rate / 5),
    thresholds: [...INTEGRITY, 'ack_visitor_ms p99 <= 250', 'ack_agent_ms p99 <= 250', 'visitors_served >= 1'],
  },
  soak: {
    name: 'soak',
    description: 'The mixed day held for long at a low rate: latencies must not creep and memory must not grow (watch the --pid figures).',
    durationS: 600,
    rate: 2,
    agents: 10,
    agentCapacity: 5,
    messages: 5,
    intervalMs: 2_000,
    resume: true,
    waitForAgentMs: 60_000,
    arrivals: steady,
    thresholds: [...INTEGRITY, 'ack_visitor_ms p99 <= 100', 'ack_agent_ms p99 <= 100', 'delivery_to_visitor_ms p99 <= 200', 'visitors_served >= 1'],
  },
};

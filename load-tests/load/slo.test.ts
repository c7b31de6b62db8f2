import { judge, Measurements, parseThreshold } from './slo.ts';

test('thresholds parse from their written form, and wrong ones are refused with the reason', () => {
  expect(parseThreshold('ack_visitor_ms p99 <= 100')).toEqual({ metric: 'ack_visitor_ms', stat: 'p99', op: '<=', value: 100 });
  expect(parseThreshold(' lost == 0 ')).toEqual({ metric: 'lost', stat: null, op: '==', value: 0 });
  expect(() => parseThreshold('ack_visitor_ms <= 100')).toThrow(/needs a statistic/);
  expect(() => parseThreshold('lost p99 == 0')).toThrow(/is a count/);
  expect(() => parseThreshold('latency p99 <= 100')).toThrow(/no metric latency/);
  expect(() => parseThreshold('ack_visitor_ms p99 < 100')).toThrow(/write it as/);
});

test('a run is judged against each threshold with the actual figure', () => {
  const m = new Measurements();
  for (const ms of [1, 2, 3, 4, 100]) m.record('ack_visitor_ms', ms);
  m.add('visitors_started', 5);
  m.error('boom');
  const verdicts = judge(m, ['ack_visitor_ms p50 <= 3', 'ack_visitor_ms p99 <= 50', 'visitors_started >= 5', 'errors == 0', 'ack_agent_ms count == 0'].map(parseThreshold));
  expect(verdicts.map((v) => [v.actual, v.passed])).toEqual([[3, true], [100, false], [5, true], [1, false], [0, true]]);
  expect(m.errorSamples).toEqual(['boom']);
});

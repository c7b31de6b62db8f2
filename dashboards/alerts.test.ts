/**
 * The alerting rules in dashboards/alerts/: valid for Prometheus (`promtool check rules`), each
 * proved to fire when it should and to stay quiet when it should not (`promtool test rules` on the
 * cases of kefu.rules.test.yml), and querying only metrics Kefu defines. promtool comes with
 * Debian's prometheus package (cluster/infra install).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { METRICS } from '../cluster/metrics.ts';
import { metricNamesIn } from './dashboards.ts';

const RULES = fileURLToPath(new URL('./alerts/kefu.rules.yml', import.meta.url));
const CASES = fileURLToPath(new URL('./alerts/kefu.rules.test.yml', import.meta.url));
const promtool = (...args: string[]): string => execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

type Rule = { alert: string; expr: string; labels?: Record<string, string> };
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

test('the rules file is valid for Prometheus', () => {
  expect(promtool('check', 'rules', RULES)).toContain(`SUCCESS: ${rules.length} rules found`);
});

test('every alert fires when it should and stays quiet when it should not (promtool test rules)', () => {
  expect(promtool('test', 'rules', CASES)).toContain('SUCCESS');
  // Every alert has its cases.
  const tested = new Set((parse(readFileSync(CASES, 'utf8')) as { tests: { alert_rule_test: { alertname: string }[] }[] }).tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)));
  expect(rules.map((r) => r.alert).filter((name) => !tested.has(name))).toEqual([]);
});

test('the obvious failures are covered, each with a severity', () => {
  expect(rules.map((r) => r.alert).sort()).toEqual(
    ['KefuAckLatencyBudgetBurn', 'KefuConsumerLagGrowing', 'KefuMessageLogProduceFailing', 'KefuNodeDown', 'KefuOwnershipContested', 'KefuVisitorsWaitingWithoutReadyAgents'].sort(),
  );
  for (const r of rules) expect({ alert: r.alert, severity: r.labels?.severity }).toEqual({ alert: r.alert, severity: expect.stringMatching(/^(critical|warning)$/) });
});

test('rules use only metrics Kefu or Prometheus define', () => {
  const kefu = new Set<string>(Object.values(METRICS).map((m) => m.name));
  const unknown = rules.flatMap((r) => metricNamesIn(r.expr).filter((name) => name !== 'up' && !kefu.has(name.replace(/_(bucket|count|sum)$/, ''))).map((name) => `${r.alert}: ${name}`));
  expect(unknown).toEqual([]);
});

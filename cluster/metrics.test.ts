import { readFileSync } from 'node:fs';
import { METRICS } from './metrics.ts';

test('metric names are unique, Prometheus-shaped, and each is documented in docs/observability.md', () => {
  const names = Object.values(METRICS).map((m) => m.name);
  expect(new Set(names).size).toBe(names.length);
  for (const name of names) expect(name).toMatch(/^kefu_[a-z_]+$/);
  const doc = readFileSync(new URL('../docs/observability.md', import.meta.url), 'utf8');
  expect(names.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
});

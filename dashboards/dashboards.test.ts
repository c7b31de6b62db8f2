/**
 * The dashboards in dashboards/*.json: generated from dashboards.ts, valid against Grafana's own
 * dashboard schema (the types @grafana/schema publishes, generated from Grafana's CUE kinds, as a
 * JSON Schema), laid out without overlaps, and querying only metrics Kefu defines. Whether each
 * query returns series from a running cluster is the integration test's part
 * (tests/integration/dashboards.int.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { METRICS } from '../cluster/metrics.ts';
import { DASHBOARDS, DASHBOARDS_DIR, dashboardFiles, metricNamesIn, queriesOf } from './dashboards.ts';

const files = dashboardFiles();
const rendered = files.map(({ file, json }) => ({ file, dashboard: JSON.parse(json) as Record<string, unknown> }));

test('dashboards/*.json are what dashboards.ts renders (npm run dashboards)', () => {
  const onDisk = readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json')).sort();
  expect(onDisk).toEqual(files.map((f) => f.file).sort());
  for (const { file, json } of files) expect({ file, json: readFileSync(new URL(file, DASHBOARDS_DIR), 'utf8') }).toEqual({ file, json });
});

test('the six dashboards the operators expect, each with a node variable and the tenant one where metrics have tenants', () => {
  expect(DASHBOARDS.map((d) => d.uid)).toEqual(['kefu-overview', 'kefu-gateways', 'kefu-actors', 'kefu-queues', 'kefu-kafka', 'kefu-runtime']);
  for (const { dashboard } of rendered) {
    const names = (dashboard.templating as { list: { name: string }[] }).list.map((v) => v.name);
    expect(names).toContain('node');
    const exprs = queriesOf(dashboard).map((q) => q.expr);
    for (const expr of exprs) expect(expr).toContain('node=~"$node"');
    // A variable a query uses is defined on its dashboard.
    for (const used of new Set(exprs.flatMap((e) => [...e.matchAll(/\$(\w+)/g)].map((m) => m[1]!)))) {
      if (!used.startsWith('__')) expect(names).toContain(used);
    }
  }
});

test('each dashboard is valid against Grafana’s dashboard schema', () => {
  // The package's exports map hides its type files from resolution: they are read by path.
  const types = fileURLToPath(new URL('../node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts', import.meta.url));
  const schema = createGenerator({ path: types, type: 'Dashboard', skipTypeCheck: true, topRef: true }).createSchema('Dashboard');
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  for (const { file, dashboard } of rendered) {
    validate(dashboard);
    expect({ file, errors: validate.errors ?? [] }).toEqual({ file, errors: [] });
  }
});

test('panels do not overlap and stay within the 24-column grid', () => {
  for (const { file, dashboard } of rendered) {
    const boxes = (dashboard.panels as { title: string; gridPos: { x: number; y: number; w: number; h: number } }[]).map((p) => ({ title: p.title, ...p.gridPos }));
    for (const b of boxes) expect({ file, title: b.title, fits: b.x >= 0 && b.x + b.w <= 24 }).toEqual({ file, title: b.title, fits: true });
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect({ file, panels: [a.title, b.title], overlap }).toEqual({ file, panels: [a.title, b.title], overlap: false });
      }
    }
  }
});

test('queries use only metrics Kefu, prom-client, Moleculer or Prometheus define', () => {
  const kefu = new Set<string>(Object.values(METRICS).map((m) => m.name));
  const known = (name: string) =>
    kefu.has(name.replace(/_(bucket|count|sum)$/, '')) || /^(nodejs_|process_|moleculer_)/.test(name) || name === 'up';
  const unknown = rendered.flatMap(({ dashboard }) => queriesOf(dashboard).flatMap((q) => metricNamesIn(q.expr).filter((name) => !known(name)).map((name) => `${q.panel}: ${name}`)));
  expect(unknown).toEqual([]);
});

test('metricNamesIn finds bare names, selectors and ranges, and not labels, functions or keywords', () => {
  expect(metricNamesIn('max by (kind) (lag) > 1000 and max by (kind) (deriv(lag_b[5m])) > 0')).toEqual(['lag', 'lag_b']);
  expect(metricNamesIn('sum(rate(a_total{tenant=~"$tenant",node=~"x"}[$__rate_interval])) / clamp_min(sum(b), 1e-9)')).toEqual(['a_total', 'b']);
  expect(metricNamesIn('x * on (instance) group_left up{job="kefu"} unless y offset 5m')).toEqual(['x', 'up', 'y']);
});

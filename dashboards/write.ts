/** Writes dashboards/*.json from dashboards/dashboards.ts (`npm run dashboards`). */
import { writeFileSync } from 'node:fs';
import { DASHBOARDS_DIR, dashboardFiles } from './dashboards.ts';

for (const { file, json } of dashboardFiles()) {
  writeFileSync(new URL(file, DASHBOARDS_DIR), json);
  console.log(`wrote dashboards/${file}`);
}

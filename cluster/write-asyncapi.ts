/** Writes docs/asyncapi.yaml from cluster/asyncapi.ts (`npm run asyncapi`). */
import { writeFileSync } from 'node:fs';
import { ASYNCAPI_FILE, asyncApiYaml } from './asyncapi.ts';

writeFileSync(ASYNCAPI_FILE, asyncApiYaml());
console.log(`wrote ${ASYNCAPI_FILE}`);

/**
 * Writes docs/protocol/visitor.schema.json from the protocol's zod schemas: `npm run protocol:schema`.
 * (wire.test.ts fails while the file and the schemas disagree.)
 */
import { writeFileSync } from 'node:fs';
import { VISITOR_SCHEMA_FILE, visitorProtocolJsonSchema } from './wire-schema.ts';

writeFileSync(VISITOR_SCHEMA_FILE, `${JSON.stringify(visitorProtocolJsonSchema(), null, 2)}\n`);
console.log(`wrote ${VISITOR_SCHEMA_FILE}`);

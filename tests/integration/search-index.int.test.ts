/**
 * The history search index on the real Elasticsearch (actors/history/elasticsearch.ts): worker
 * nodes starting together make one alias over one index, and a write can never create an index
 * behind Kefu's back (writes require the alias).
 */
import { Client } from '@elastic/elasticsearch';
import { ensureMessageIndex, MESSAGES_INDEX } from '../../actors/history/elasticsearch.ts';
import { localInfraEnv } from '../../cluster/local-infra.ts';
import { uniqueName } from '../support.ts';

const es = new Client({ node: localInfraEnv().KEFU_ELASTICSEARCH_URL });
const prefix = `${uniqueName('kefu-index')}-`;

afterAll(async () => {
  const indices = Object.keys(await es.indices.get({ index: `${prefix}*` }));
  if (indices.length > 0) await es.indices.delete({ index: indices });
  await es.close();
});

test('five nodes ensuring the index at once end with one alias over one index with the strict mapping', async () => {
  const aliases = await Promise.all(Array.from({ length: 5 }, () => ensureMessageIndex(es, prefix)));
  expect(new Set(aliases)).toEqual(new Set([`${prefix}${MESSAGES_INDEX}`]));
  const behind = Object.keys(await es.indices.getAlias({ name: `${prefix}${MESSAGES_INDEX}` }));
  expect(behind).toEqual([`${prefix}${MESSAGES_INDEX}-1`]);
  const mapping = await es.indices.getMapping({ index: behind[0]! });
  expect(mapping[behind[0]!]!.mappings).toMatchObject({ dynamic: 'strict', properties: { conversationId: { type: 'keyword' }, search: { type: 'text', analyzer: 'standard' } } });
  // Once made, ensuring again changes nothing.
  await ensureMessageIndex(es, prefix);
  expect(Object.keys(await es.indices.getAlias({ name: `${prefix}${MESSAGES_INDEX}` }))).toEqual(behind);
});

test('a write that requires the alias cannot create an index when the alias is missing', async () => {
  const missing = `${prefix}missing-${MESSAGES_INDEX}`;
  const result = await es.bulk({ require_alias: true, operations: [{ index: { _index: missing, _id: 'x' } }, { text: 'hello' }] });
  expect(result.errors).toBe(true);
  expect(await es.indices.exists({ index: missing })).toBe(false);
});

import { candidateSkillGroups, chooseSkillGroup, isWithin, pathOf, validateOrg, type Department, type SkillGroupLoad } from './org.ts';

const dept = (id: string, parent: Department | null, isSkillGroup = false): Department => ({ id, parentId: parent?.id ?? null, path: pathOf(parent, id), name: id, isSkillGroup });
const root = dept('hq', null);
const sales = dept('sales', root);
const salesEast = dept('sales-east', sales, true);
const salesWest = dept('sales-west', sales, true);
const support = dept('support', root, true);
const vipDesk = dept('vip', support, true);
const org = [root, sales, salesEast, salesWest, support, vipDesk];

test('paths are materialised from the root', () => {
  expect(salesEast.path).toBe('/hq/sales/sales-east/');
  expect(validateOrg(org)).toEqual([]);
});

test('subtree membership is a prefix test: children yes, siblings and parents no', () => {
  expect(isWithin(salesEast, sales)).toBe(true);
  expect(isWithin(sales, sales)).toBe(true);
  expect(isWithin(support, sales)).toBe(false);
  expect(isWithin(sales, salesEast)).toBe(false);
  // "sales" must not match "sales-east" as a string prefix of a sibling id
  expect(isWithin(dept('sales2', root), sales)).toBe(false);
});

test.each([
  ['duplicate id', [root, root], 'duplicate id'],
  ['unknown parent', [{ ...sales, parentId: 'nope' }], 'unknown parent nope'],
  ['stale path', [root, { ...sales, path: '/sales/' }], 'does not match its parent'],
  ['slash in id', [root, dept('a/b', root)], 'cannot contain'],
])('an inconsistent org is reported: %s', (_why, departments, problem) => {
  expect(validateOrg(departments)).toContainEqual(expect.objectContaining({ problem: expect.stringContaining(problem) }));
});

test('a channel routes to one skill group, or to the skill groups of a subtree', () => {
  expect(candidateSkillGroups(org, { kind: 'skill-group', skillGroupId: 'support' }).map((d) => d.id)).toEqual(['support']);
  expect(candidateSkillGroups(org, { kind: 'skill-group', skillGroupId: 'sales' })).toEqual([]); // not a skill group
  expect(candidateSkillGroups(org, { kind: 'department', departmentId: 'sales' }).map((d) => d.id)).toEqual(['sales-east', 'sales-west']);
  expect(candidateSkillGroups(org, { kind: 'department', departmentId: 'hq' }).map((d) => d.id)).toEqual(['sales-east', 'sales-west', 'support', 'vip']);
});

describe('choosing the skill group for a new visitor', () => {
  const load = (entries: Record<string, SkillGroupLoad>) => new Map(Object.entries(entries));
  const candidates = [salesEast, salesWest];
  test.each([
    ['a group with free agents and no queue wins; most free slots first', { 'sales-east': { waiting: 0, freeSlots: 1, agentsOnline: 2 }, 'sales-west': { waiting: 0, freeSlots: 3, agentsOnline: 2 } }, 'sales-west'],
    ['otherwise the shortest queue per online agent', { 'sales-east': { waiting: 4, freeSlots: 0, agentsOnline: 4 }, 'sales-west': { waiting: 3, freeSlots: 0, agentsOnline: 1 } }, 'sales-east'],
    ['a group with nobody online comes last', { 'sales-east': { waiting: 0, freeSlots: 0, agentsOnline: 0 }, 'sales-west': { waiting: 9, freeSlots: 0, agentsOnline: 1 } }, 'sales-west'],
    ['ties break by id', {}, 'sales-east'],
  ])('%s', (_why, l, expected) => {
    expect(chooseSkillGroup(candidates, load(l))).toBe(expected);
  });
  test('no candidate, no group', () => {
    expect(chooseSkillGroup([], new Map())).toBeNull();
  });
});

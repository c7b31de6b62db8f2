/**
 * The organisation rules routing needs (组织机构 / 技能组), pure.
 *
 * Departments form a tree; each carries its materialised path (`/root/sales/east/`), so "this
 * department and everything below it" is a prefix test rather than a recursive query. A department
 * flagged `isSkillGroup` is a skill group (技能组) with a queue of its own. An agent belongs to exactly
 * one department and may serve several skill groups. A channel routes either to one skill group, or
 * to any skill group in a department's subtree — then to the one that can answer soonest.
 */

export type Department = {
  readonly id: string;
  readonly parentId: string | null;
  /** `/` + ids from the root down to this department + `/`. */
  readonly path: string;
  readonly name: string;
  readonly isSkillGroup: boolean;
};

export type ChannelRouting = { readonly kind: 'skill-group'; readonly skillGroupId: string } | { readonly kind: 'department'; readonly departmentId: string };

/** What the router knows of each skill group's load when it picks one for a new visitor. */
export type SkillGroupLoad = { readonly waiting: number; readonly freeSlots: number; readonly agentsOnline: number };

export const pathOf = (parent: Department | null, id: string): string => `${parent ? parent.path : '/'}${id}/`;

/** `department` is `ancestor` itself or lies below it. */
export const isWithin = (department: Department, ancestor: Department): boolean => department.path.startsWith(ancestor.path);

export type OrgProblem = { readonly departmentId: string; readonly problem: string };

/** Checks a department list is one consistent forest (paths match parents, no cycles, ids unique). */
export function validateOrg(departments: readonly Department[]): OrgProblem[] {
  const byId = new Map<string, Department>();
  const problems: OrgProblem[] = [];
  for (const d of departments) {
    if (byId.has(d.id)) problems.push({ departmentId: d.id, problem: 'duplicate id' });
    byId.set(d.id, d);
  }
  for (const d of departments) {
    if (d.id.includes('/')) problems.push({ departmentId: d.id, problem: 'ids cannot contain "/"' });
    const parent = d.parentId === null ? null : byId.get(d.parentId);
    if (d.parentId !== null && !parent) problems.push({ departmentId: d.id, problem: `unknown parent ${d.parentId}` });
    else if (d.path !== pathOf(parent ?? null, d.id)) problems.push({ departmentId: d.id, problem: `path ${d.path} does not match its parent` });
  }
  return problems;
}

/** The skill groups a channel may route to: the named one, or every skill group in the subtree. */
export function candidateSkillGroups(departments: readonly Department[], routing: ChannelRouting): Department[] {
  if (routing.kind === 'skill-group') return departments.filter((d) => d.id === routing.skillGroupId && d.isSkillGroup);
  const root = departments.find((d) => d.id === routing.departmentId);
  if (!root) return [];
  return departments.filter((d) => d.isSkillGroup && isWithin(d, root));
}

/**
 * Picks the skill group for a new visitor among the candidates: one with a free agent slot
 * (most free slots first); otherwise the shortest queue per online agent; a group with nobody
 * online last. Ties break by id, so the choice is deterministic.
 */
export function chooseSkillGroup(candidates: readonly Department[], load: ReadonlyMap<string, SkillGroupLoad>): string | null {
  const none: SkillGroupLoad = { waiting: 0, freeSlots: 0, agentsOnline: 0 };
  const score = (d: Department): [number, number, number] => {
    const l = load.get(d.id) ?? none;
    if (l.freeSlots > 0 && l.waiting === 0) return [0, -l.freeSlots, 0];
    if (l.agentsOnline > 0) return [1, l.waiting / l.agentsOnline, 0];
    return [2, l.waiting, 0];
  };
  let best: Department | null = null;
  let bestScore: [number, number, number] | null = null;
  for (const d of candidates) {
    const s = score(d);
    if (!bestScore || s[0] < bestScore[0] || (s[0] === bestScore[0] && (s[1] < bestScore[1] || (s[1] === bestScore[1] && d.id < best!.id)))) {
      best = d;
      bestScore = s;
    }
  }
  return best?.id ?? null;
}

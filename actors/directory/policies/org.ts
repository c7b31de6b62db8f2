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

export const pathOf = (parent: { readonly path: string } | null, id: string): string => `${parent ? parent.path : '/'}${id}/`;

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

/** The deepest org tree Kefu stores (the materialised path must fit its indexed column). */
export const MAX_DEPARTMENT_DEPTH = 40;

/**
 * What a skill group does with its conversations (会话设置). A department sets any of these or
 * none; each one is inherited from the nearest ancestor that sets it, then from the defaults.
 */
export type DepartmentSettings = {
  readonly routingPolicy: 'idle-first' | 'least-busy' | 'round-robin' | 'manual';
  readonly welcomeMessage: string;
  readonly noAgentMessage: string;
  readonly queueFullMessage: string;
  /** Beyond this many waiting visitors, new ones get the queue-full message; null: no limit. */
  readonly maxWaiting: number | null;
  /** Remind an idle visitor after this many minutes, close after that many; null: never. */
  readonly visitorIdleReminderMinutes: number | null;
  readonly visitorIdleCloseMinutes: number | null;
  /** Remind the agent when a visitor waits this long for an answer; null: never. */
  readonly agentNoReplyReminderMinutes: number | null;
  readonly maxConversationsPerAgent: number;
  /** Weekly opening hours per day in `09:00-12:00,13:00-18:00` form, in `timeZone`; null: always open. */
  readonly workingHours: {
    readonly timeZone: string;
    readonly weekly: Readonly<Partial<Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', string>>>;
    readonly holidays: readonly string[];
    readonly closedMessage: string;
  } | null;
};

export const DEFAULT_DEPARTMENT_SETTINGS: DepartmentSettings = {
  routingPolicy: 'idle-first',
  welcomeMessage: '',
  noAgentMessage: 'All our agents are busy right now. Please leave a message and we will get back to you.',
  queueFullMessage: 'Many visitors are waiting right now. Please leave a message and we will get back to you.',
  maxWaiting: null,
  visitorIdleReminderMinutes: 5,
  visitorIdleCloseMinutes: 10,
  agentNoReplyReminderMinutes: 3,
  maxConversationsPerAgent: 5,
  workingHours: null,
};

/**
 * The settings in force at a department: `chain` is the department and its ancestors, nearest
 * first, each with the settings it sets itself. Also says where each value came from (null: the
 * default), which the admin console shows next to the value.
 */
export function effectiveSettings(
  chain: readonly { readonly id: string; readonly settings: Partial<DepartmentSettings> }[],
): { readonly settings: DepartmentSettings; readonly from: Readonly<Record<keyof DepartmentSettings, string | null>> } {
  const settings: Record<string, unknown> = { ...DEFAULT_DEPARTMENT_SETTINGS };
  const from: Record<string, string | null> = Object.fromEntries(Object.keys(DEFAULT_DEPARTMENT_SETTINGS).map((k) => [k, null]));
  for (const key of Object.keys(DEFAULT_DEPARTMENT_SETTINGS) as (keyof DepartmentSettings)[]) {
    const owner = chain.find((d) => Object.hasOwn(d.settings, key) && d.settings[key] !== undefined);
    if (owner) {
      settings[key] = owner.settings[key];
      from[key] = owner.id;
    }
  }
  return { settings: settings as DepartmentSettings, from: from as Record<keyof DepartmentSettings, string | null> };
}

/** The ids on a materialised path, root first. */
export const pathIds = (path: string): string[] => path.split('/').filter(Boolean);

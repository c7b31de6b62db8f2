/**
 * Pure transitions of the conversation actor. No I/O, no clock: `now` is passed in, effects are
 * returned as data. See state.ts for the lifecycle diagram and protocol.ts for the effect-order rule
 * (`append` first; nothing else of a decision happens if it failed).
 */
import { accept, reject, unreachable, type Decision } from '../kernel/decision.ts';
import type { ConversationCommand, ConversationEffect, ConversationEvent, MessageRecord, Push, SharedFile } from './protocol.ts';
import { DEDUPE_WINDOW, MAX_WATCHING_TABS, contextOf, isOpen, knownClientMsgId, participants, senderKey, tagsOf, type Actor, type CloseReason, type ConversationState, type TimerName } from './state.ts';
import { normalTags } from './tags.ts';

export type ConversationDecision = Decision<ConversationState, ConversationEffect>;

/** Priority class given to VIP visitors (normal visitors are 0). */
export const VIP_PRIORITY = 10;
export const MAX_COMMENT_LENGTH = 1_000;

type QueueReason = Extract<ConversationEvent, { name: 'conversation.queued' }>['reason'];

/** Accumulates the next state and effects of one decision. */
class Step {
  state: ConversationState;
  readonly before: ConversationState;
  readonly effects: ConversationEffect[] = [];
  readonly now: number;
  constructor(state: ConversationState, now: number) {
    this.state = state;
    this.before = state;
    this.now = now;
  }
  set(patch: Partial<ConversationState>): this {
    this.state = { ...this.state, ...patch };
    return this;
  }
  emit(event: DistributiveOmit<ConversationEvent, 'conversationId' | 'at'>): this {
    this.effects.push({ type: 'emit', event: { ...event, conversationId: this.state.conversationId, at: this.now } as ConversationEvent });
    return this;
  }
  /** The agents' side of the audience is filled in by `done`, when the decision's participants are known. */
  push(to: 'visitor' | 'agents' | 'everyone', push: Push): this {
    this.effects.push({ type: 'push', to, push, agents: [] });
    return this;
  }
  pushStatus(): this {
    return this.push('everyone', { kind: 'status', status: this.state.status, agentId: this.state.agentId });
  }
  pushParticipants(): this {
    return this.push('agents', { kind: 'participants' });
  }
  schedule(timer: TimerName, delayMs: number | null): this {
    if (delayMs === null) return this;
    const at = this.now + delayMs;
    this.state = { ...this.state, timers: { ...this.state.timers, [timer]: at } };
    this.effects.push({ type: 'schedule', timer, at });
    return this;
  }
  cancel(...timers: TimerName[]): this {
    for (const timer of timers) {
      if (this.state.timers[timer] === undefined) continue;
      const { [timer]: _, ...rest } = this.state.timers;
      this.state = { ...this.state, timers: rest };
      this.effects.push({ type: 'cancel', timer });
    }
    return this;
  }
  releaseAgent(): this {
    if (this.state.agentId !== null) this.effects.push({ type: 'release-agent', agentId: this.state.agentId });
    return this;
  }
  /** Hands the conversation (back) to routing in `skillGroupId`. */
  enqueue(skillGroupId: string, reason: QueueReason, options: { preferred?: { agentId: string; kind: 'sticky' | 'requested' } | null } = {}): this {
    const waitingSince = this.state.waitingSince ?? this.now;
    this.cancel('agent-no-answer', 'agent-no-reply-reminder', 'visitor-idle-reminder', 'visitor-idle-close');
    this.set({ status: 'queued', skillGroupId, agentId: null, acceptedAt: null, transferMemo: null, waitingSince });
    this.effects.push({
      type: 'enqueue',
      skillGroupId,
      priority: this.state.priority,
      preferredAgentId: options.preferred?.agentId ?? null,
      preference: options.preferred?.kind ?? null,
      avoidAgentIds: this.state.unansweredBy,
      waitingSince,
    });
    return this.emit({ name: 'conversation.queued', skillGroupId, priority: this.state.priority, reason }).pushStatus();
  }
  done(): ConversationDecision {
    // Whoever became or stopped being an invited colleague, their agent actor is told.
    const before = this.before.invitedAgentIds;
    const after = this.state.invitedAgentIds;
    for (const agentId of after) if (!before.includes(agentId)) this.effects.push({ type: 'invitation', agentId, invited: true });
    for (const agentId of before) if (!after.includes(agentId)) this.effects.push({ type: 'invitation', agentId, invited: false });
    if (!this.effects.some((e) => e.type === 'push' && e.to !== 'visitor')) return accept(this.state, this.effects);
    const agents = [...new Set([...participants(this.before), ...participants(this.state)])];
    return accept(
      this.state,
      this.effects.map((e) => (e.type === 'push' && e.to !== 'visitor' ? { ...e, agents } : e)),
    );
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const isAgent = (a: Actor, agentId: string | null): boolean => a.kind === 'agent' && agentId !== null && a.agentId === agentId;

function closedRejection(state: ConversationState): ConversationDecision {
  return state.status === 'new'
    ? reject('CONVERSATION_NOT_OPEN', `conversation ${state.conversationId} has not been opened`)
    : reject('CONVERSATION_CLOSED', `conversation ${state.conversationId} is ${state.status}`);
}

export function decideConversation(state: ConversationState, command: ConversationCommand, now: number): ConversationDecision {
  const step = new Step(state, now);
  switch (command.type) {
    case 'open': {
      if (state.status !== 'new') return reject('INVALID_TRANSITION', `conversation ${state.conversationId} is already open`);
      step.set({
        skillGroupId: command.skillGroupId,
        requestedAgentId: command.requestedAgentId,
        preChat: command.preChat,
        ...(command.context ? { context: command.context } : {}),
        priority: state.visitor.vip ? VIP_PRIORITY : 0,
      });
      step.emit({ name: 'conversation.created', channelId: state.channelId, visitor: state.visitor, skillGroupId: command.skillGroupId });
      if (!command.withinWorkingHours) {
        return step
          .set({ status: 'offline-message' })
          .emit({ name: 'conversation.offline', reason: 'outside-working-hours' })
          .push('visitor', { kind: 'leave-message-form' })
          .done();
      }
      if (command.bot) return step.set({ status: 'bot' }).pushStatus().done();
      return step.enqueue(command.skillGroupId, 'opened', { preferred: preferredAgent(state, command.requestedAgentId) }).done();
    }

    case 'post-message':
      return postMessage(step, command.from, command.clientMsgId, command.text, command.file);

    case 'describe':
      return accept(state, [
        {
          type: 'described',
          tenantId: state.tenantId,
          status: state.status,
          agentId: state.agentId,
          accepted: state.acceptedAt !== null,
          lastSeq: state.lastSeq,
          channelId: state.channelId,
          skillGroupId: state.skillGroupId,
          visitor: state.visitor,
          preChat: state.preChat,
          context: contextOf(state),
          transferMemo: state.transferMemo,
          invitedAgentIds: state.invitedAgentIds,
          monitors: state.monitors.map(({ supervisorId, mode }) => ({ supervisorId, mode })),
          tags: tagsOf(state),
        },
      ]);

    case 'typing': {
      if (!isOpen(state)) return closedRejection(state);
      // Only those who may write here may be seen typing (a whispering supervisor only by the agents).
      const { from } = command;
      let to: 'agents' | 'visitor' = from.kind === 'visitor' ? 'agents' : 'visitor';
      if (from.kind === 'agent' && !isAgent(from, state.agentId) && !state.invitedAgentIds.includes(from.agentId)) {
        return reject('NOT_A_PARTICIPANT', `agent ${from.agentId} is not in this conversation`);
      }
      if (from.kind === 'supervisor') {
        const mode = state.monitors.find((m) => m.supervisorId === from.supervisorId)?.mode;
        if (mode === 'whisper') to = 'agents';
        else if (mode !== 'barge') return reject('NOT_A_PARTICIPANT', 'a supervisor must whisper or barge in to write');
      }
      return step.push(to, { kind: 'typing', from, typing: command.typing }).done();
    }

    case 'read': {
      if (state.status === 'new') return closedRejection(state);
      if (!Number.isInteger(command.seq) || command.seq < 0 || command.seq > state.lastSeq) {
        return reject('INVALID_TRANSITION', `read seq ${command.seq} is outside 0..${state.lastSeq}`);
      }
      if (command.by.kind === 'visitor') {
        if (command.seq <= state.visitorReadSeq) return accept(state);
        return step.set({ visitorReadSeq: command.seq }).push('agents', { kind: 'read', by: command.by, seq: command.seq }).done();
      }
      if (!isAgent(command.by, state.agentId) && !(command.by.kind === 'agent' && state.invitedAgentIds.includes(command.by.agentId))) {
        return reject('NOT_A_PARTICIPANT', 'only the visitor and the conversation’s agents send read receipts');
      }
      if (command.seq <= state.agentReadSeq) return accept(state);
      return step.set({ agentReadSeq: command.seq }).push('visitor', { kind: 'read', by: command.by, seq: command.seq }).done();
    }

    case 'request-human': {
      if (state.status !== 'bot') return reject('INVALID_TRANSITION', `a human can be requested only from the bot (conversation is ${state.status})`);
      return step.enqueue(state.skillGroupId!, 'human-requested', { preferred: preferredAgent(state, state.requestedAgentId) }).done();
    }

    case 'assign': {
      // A repeated assignment (the first answer was lost) is already done: say so, change nothing.
      if (state.status === 'assigned' && state.agentId === command.agentId && state.skillGroupId === command.skillGroupId) return accept(state);
      if (state.status !== 'queued') return reject('INVALID_TRANSITION', `only a queued conversation can be assigned (it is ${state.status})`);
      const waitedMs = now - (state.waitingSince ?? now);
      return step
        .set({ status: 'assigned', agentId: command.agentId, skillGroupId: command.skillGroupId, acceptedAt: null, waitingSince: null })
        .emit({ name: 'conversation.assigned', agentId: command.agentId, skillGroupId: command.skillGroupId, waitedMs })
        .schedule('agent-no-answer', state.settings.agentNoAnswerMs)
        .pushStatus()
        .done();
    }

    case 'accept': {
      if (state.status !== 'assigned' && state.status !== 'transferred') return reject('INVALID_TRANSITION', `nothing to accept (conversation is ${state.status})`);
      if (state.agentId !== command.agentId) return reject('NOT_ASSIGNED_AGENT', `conversation ${state.conversationId} is not assigned to ${command.agentId}`);
      return acceptAssignment(step).done();
    }

    case 'transfer': {
      // A visitor still waiting in a queue is moved by a supervisor only (to another group, or to a named agent).
      const waiting = state.status === 'queued';
      if (waiting && command.by.kind !== 'supervisor') return reject('NOT_ASSIGNED_AGENT', 'only a supervisor moves a visitor who is waiting');
      if (!waiting && state.status !== 'assigned' && state.status !== 'transferred') return reject('INVALID_TRANSITION', `only a conversation with an agent, or waiting in a queue, can be transferred (it is ${state.status})`);
      if (!isAgent(command.by, state.agentId) && command.by.kind !== 'supervisor') {
        return reject('NOT_ASSIGNED_AGENT', 'only the conversation’s agent or a supervisor can transfer it');
      }
      if (waiting && 'skillGroupId' in command.to && command.to.skillGroupId === state.skillGroupId) return reject('INVALID_TRANSITION', 'the visitor already waits in that skill group');
      const fromAgentId = state.agentId;
      if (waiting) step.effects.push({ type: 'dequeue', skillGroupId: state.skillGroupId! });
      if ('agentId' in command.to) {
        if (command.to.agentId === state.agentId) return reject('INVALID_TRANSITION', 'the conversation is already with that agent');
        step
          .releaseAgent()
          .cancel('agent-no-reply-reminder')
          .set({
            status: 'transferred',
            agentId: command.to.agentId,
            acceptedAt: null,
            transferMemo: command.memo,
            invitedAgentIds: state.invitedAgentIds.filter((id) => id !== (command.to as { agentId: string }).agentId),
            // Handed to a person: no longer waiting for routing (as when the queue assigns it).
            ...(waiting ? { waitingSince: null } : {}),
          })
          .schedule('agent-no-answer', state.settings.agentNoAnswerMs)
          .emit({ name: 'conversation.transferred', fromAgentId, to: command.to, by: command.by, memo: command.memo })
          .pushStatus();
        return step.done();
      }
      step.releaseAgent().emit({ name: 'conversation.transferred', fromAgentId, to: command.to, by: command.by, memo: command.memo });
      return step.enqueue(command.to.skillGroupId, 'transferred').set({ transferMemo: command.memo }).done();
    }

    case 'invite': {
      if (state.status !== 'assigned' && state.status !== 'transferred') return reject('INVALID_TRANSITION', `only a conversation with an agent takes invitations (it is ${state.status})`);
      if (!isAgent(command.by, state.agentId) && command.by.kind !== 'supervisor') {
        return reject('NOT_ASSIGNED_AGENT', 'only the conversation’s agent or a supervisor can invite');
      }
      if (command.agentId === state.agentId || state.invitedAgentIds.includes(command.agentId)) return accept(state);
      return step.set({ invitedAgentIds: [...state.invitedAgentIds, command.agentId] }).pushParticipants().done();
    }

    case 'leave': {
      if (command.agentId === state.agentId && state.status !== 'closed') {
        return reject('INVALID_TRANSITION', 'the conversation’s own agent transfers or closes it instead of leaving');
      }
      if (!state.invitedAgentIds.includes(command.agentId)) return accept(state);
      return step.set({ invitedAgentIds: state.invitedAgentIds.filter((id) => id !== command.agentId) }).pushParticipants().done();
    }

    case 'monitor': {
      if (!isOpen(state)) return closedRejection(state);
      const current = state.monitors.find((m) => m.supervisorId === command.supervisorId);
      const others = state.monitors.filter((m) => m !== current);
      if (command.mode === null) step.set({ monitors: others });
      else {
        const { connectionId } = command;
        const tabs = connectionId === undefined ? current?.tabs : [...(current?.tabs ?? []).filter((t) => t !== connectionId), connectionId].slice(-MAX_WATCHING_TABS);
        step.set({ monitors: [...others, { supervisorId: command.supervisorId, mode: command.mode, ...(tabs ? { tabs } : {}) }] });
      }
      // The visitor learns of a supervisor only when one barges in (or leaves after barging).
      const before = current?.mode ?? null;
      if (before === command.mode) return command.mode === null ? accept(state) : step.done(); // (maybe one more tab)
      if (command.mode === 'barge' || before === 'barge') step.pushStatus();
      return step.pushParticipants().done();
    }

    case 'watcher-left': {
      const current = state.monitors.find((m) => m.supervisorId === command.supervisorId);
      if (!isOpen(state) || !current?.tabs?.includes(command.connectionId)) return accept(state);
      const tabs = current.tabs.filter((t) => t !== command.connectionId);
      if (tabs.length === 0) return decideConversation(state, { type: 'monitor', supervisorId: command.supervisorId, mode: null }, now);
      return step.set({ monitors: state.monitors.map((m) => (m === current ? { ...m, tabs } : m)) }).done();
    }

    case 'take-over': {
      if (state.status !== 'assigned' && state.status !== 'transferred' && state.status !== 'queued') {
        return reject('INVALID_TRANSITION', `nothing to take over (conversation is ${state.status})`);
      }
      const fromAgentId = state.agentId;
      if (state.status === 'queued') step.effects.push({ type: 'dequeue', skillGroupId: state.skillGroupId! });
      step
        .releaseAgent()
        .cancel('agent-no-answer')
        .set({
          status: 'assigned',
          agentId: command.supervisorId,
          acceptedAt: now,
          waitingSince: null,
          monitors: state.monitors.filter((m) => m.supervisorId !== command.supervisorId),
        })
        .emit({ name: 'conversation.transferred', fromAgentId, to: { agentId: command.supervisorId }, by: { kind: 'supervisor', supervisorId: command.supervisorId }, memo: null })
        .emit({ name: 'conversation.accepted', agentId: command.supervisorId })
        .pushStatus();
      return step.done();
    }

    case 'close': {
      if (!isOpen(state)) return closedRejection(state);
      let reason: CloseReason;
      switch (command.by.kind) {
        case 'visitor':
          reason = 'visitor';
          break;
        case 'agent':
          if (!isAgent(command.by, state.agentId)) return reject('NOT_ASSIGNED_AGENT', 'only the conversation’s agent can close it');
          reason = 'agent';
          break;
        case 'supervisor':
          reason = 'supervisor';
          break;
        case 'bot':
        case 'system':
          reason = 'system';
          break;
        default:
          return unreachable(command.by);
      }
      return close(step, command.by, reason, command.summary).done();
    }

    case 'request-rating': {
      if (state.status !== 'assigned' && state.status !== 'transferred') return reject('INVALID_TRANSITION', `only a conversation with its agent can ask for a rating (it is ${state.status})`);
      if (!isAgent(command.by, state.agentId)) return reject('NOT_ASSIGNED_AGENT', 'only the conversation’s agent asks its visitor for a rating');
      if (state.rating !== null) return reject('ALREADY_RATED', 'this conversation was already rated');
      return step.push('visitor', { kind: 'rating-requested' }).done();
    }

    case 'tag': {
      // Its agent — still, or the last one of a closed conversation (tags are often the wrap-up) — or a supervisor.
      if (command.by.kind !== 'supervisor' && !isAgent(command.by, state.agentId)) return reject('NOT_ASSIGNED_AGENT', 'only the conversation’s agent tags it');
      const normal = normalTags(command.tags);
      if (!normal.ok) return reject('TAGS_INVALID', normal.problem);
      const before = tagsOf(state);
      if (normal.tags.length === before.length && normal.tags.every((t, i) => t === before[i])) return step.done();
      // The agents' side gets the new view (as after a change of who is in it).
      return step.set({ tags: normal.tags }).emit({ name: 'conversation.tagged', tags: normal.tags, by: command.by }).pushParticipants().done();
    }

    case 'rate': {
      const ratable = state.status === 'assigned' || state.status === 'transferred' || (state.status === 'closed' && state.closeReason !== 'offline-message');
      if (!ratable) return reject('INVALID_TRANSITION', `conversation ${state.conversationId} cannot be rated now (${state.status})`);
      if (state.status === 'closed' && now > state.closedAt! + state.settings.reopenWindowMs) {
        return reject('REOPEN_WINDOW_EXPIRED', 'the rating window of this conversation has closed');
      }
      if (state.rating !== null) return reject('ALREADY_RATED', 'this conversation was already rated');
      if (!Number.isInteger(command.score) || command.score < 1 || command.score > 5) return reject('RATING_INVALID', 'score must be an integer from 1 to 5');
      if (command.comment !== null && command.comment.length > MAX_COMMENT_LENGTH) {
        return reject('RATING_INVALID', `comment must be at most ${MAX_COMMENT_LENGTH} characters`);
      }
      return step
        .set({ rating: { score: command.score, comment: command.comment } })
        .emit({ name: 'conversation.rated', score: command.score, comment: command.comment, agentId: state.agentId ?? state.visitor.lastAgentId })
        .done();
    }

    case 'reopen': {
      if (state.status !== 'closed' || state.closeReason === 'offline-message') return reject('INVALID_TRANSITION', `only a closed chat can be reopened (it is ${state.status})`);
      if (now > state.closedAt! + state.settings.reopenWindowMs) return reject('REOPEN_WINDOW_EXPIRED', 'the reopen window of this conversation has closed');
      step.set({ closedAt: null, closeReason: null, summary: null, agentId: null }).emit({ name: 'conversation.reopened' });
      return step.enqueue(state.skillGroupId!, 'reopened', { preferred: preferredAgent(step.state, null) }).done();
    }

    case 'leave-message': {
      if (state.status !== 'offline-message') return reject('INVALID_TRANSITION', `the leave-a-message form is not offered (conversation is ${state.status})`);
      const text = command.text.trim();
      if (text === '') return reject('MESSAGE_EMPTY', 'the message is empty');
      if (text.length > state.settings.maxMessageLength) return reject('MESSAGE_TOO_LONG', `at most ${state.settings.maxMessageLength} characters`);
      step.emit({ name: 'conversation.message-left', text, contact: command.contact });
      return close(step, { kind: 'visitor' }, 'offline-message', null).done();
    }

    case 'queue-position':
      if (state.status !== 'queued') return accept(state);
      return step.push('visitor', { kind: 'queue', position: command.position, estimatedWaitMs: command.estimatedWaitMs }).done();

    case 'queue-overflowed':
      if (state.status !== 'queued') return accept(state);
      return step.enqueue(command.toSkillGroupId, 'overflow').done();

    case 'queue-timed-out':
    case 'queue-refused':
      if (state.status !== 'queued') return accept(state);
      return step
        .set({ status: 'offline-message', waitingSince: null })
        .emit({ name: 'conversation.offline', reason: command.type === 'queue-timed-out' ? 'queue-timeout' : 'queue-full' })
        .push('visitor', { kind: 'leave-message-form' })
        .pushStatus()
        .done();

    case 'agent-lost': {
      if (state.invitedAgentIds.includes(command.agentId)) {
        step.set({ invitedAgentIds: state.invitedAgentIds.filter((id) => id !== command.agentId) }).pushParticipants();
      }
      if ((state.status !== 'assigned' && state.status !== 'transferred') || state.agentId !== command.agentId) return step.done();
      // The agent actor already freed its slot; route again, to anyone.
      return step.enqueue(state.skillGroupId!, 'agent-lost').done();
    }

    case 'timer':
      return timerFired(step, command.timer, command.at);

    default:
      return unreachable(command);
  }
}

function preferredAgent(state: ConversationState, requestedAgentId: string | null): { agentId: string; kind: 'sticky' | 'requested' } | null {
  if (requestedAgentId !== null) return { agentId: requestedAgentId, kind: 'requested' };
  if (state.visitor.lastAgentId !== null) return { agentId: state.visitor.lastAgentId, kind: 'sticky' };
  return null;
}

function acceptAssignment(step: Step): Step {
  const { state } = step;
  if (state.acceptedAt !== null && state.status === 'assigned') return step;
  return step
    .cancel('agent-no-answer')
    .set({ status: 'assigned', acceptedAt: step.now })
    .emit({ name: 'conversation.accepted', agentId: state.agentId! })
    .pushStatus();
}

function postMessage(step: Step, from: Actor, clientMsgId: string, rawText: string, file: SharedFile | undefined): ConversationDecision {
  const { state, now } = step;
  if (!isOpen(state)) return closedRejection(state);
  // Only the sender's own resend is a duplicate: anyone else reusing the id learns nothing from it.
  const sender = senderKey(from);
  const known = knownClientMsgId(state, clientMsgId, sender);
  if (known) return accept(state, [{ type: 'ack', clientMsgId, seq: known[1], duplicate: true }]);
  const text = rawText.trim();
  if (text === '' && !file) return reject('MESSAGE_EMPTY', 'the message is empty');
  if (text.length > state.settings.maxMessageLength) return reject('MESSAGE_TOO_LONG', `at most ${state.settings.maxMessageLength} characters`);

  let visibility: MessageRecord['visibility'] = 'public';
  switch (from.kind) {
    case 'visitor':
      break;
    case 'agent': {
      const responsible = isAgent(from, state.agentId) && (state.status === 'assigned' || state.status === 'transferred');
      if (!responsible && !state.invitedAgentIds.includes(from.agentId)) return reject('NOT_A_PARTICIPANT', `agent ${from.agentId} is not in this conversation`);
      // Answering an assignment accepts it.
      if (responsible && state.acceptedAt === null) acceptAssignment(step);
      break;
    }
    case 'supervisor': {
      const mode = state.monitors.find((m) => m.supervisorId === from.supervisorId)?.mode;
      if (mode === 'whisper') visibility = 'internal';
      else if (mode !== 'barge') return reject('NOT_A_PARTICIPANT', 'a supervisor must whisper or barge in to write');
      break;
    }
    case 'bot':
      if (state.status !== 'bot') return reject('NOT_A_PARTICIPANT', 'the bot has handed this conversation over');
      break;
    case 'system':
      return reject('NOT_A_PARTICIPANT', 'system notices are not messages');
    default:
      return unreachable(from);
  }

  const seq = state.lastSeq + 1;
  const message: MessageRecord = { seq, clientMsgId, from, text, visibility, at: now, ...(file ? { file } : {}) };
  // The window is the largest part of the state: copied once per message (twice once it is full).
  const entries = step.state.recentClientMsgIds;
  const kept = entries.length < DEDUPE_WINDOW ? entries : entries.slice(entries.length + 1 - DEDUPE_WINDOW);
  step.set({ lastSeq: seq, recentClientMsgIds: kept.concat([[clientMsgId, seq, sender]]) });
  step.effects.unshift({ type: 'append', message }); // the commit point comes first
  step.effects.push({ type: 'ack', clientMsgId, seq, duplicate: false });
  step.push(visibility === 'internal' ? 'agents' : 'everyone', { kind: 'message', message });

  if (from.kind === 'visitor') {
    step.cancel('visitor-idle-reminder', 'visitor-idle-close');
    const answering = step.state.status === 'assigned' && step.state.acceptedAt !== null;
    if (answering && step.state.timers['agent-no-reply-reminder'] === undefined) step.schedule('agent-no-reply-reminder', state.settings.agentNoReplyReminderMs);
  } else if (visibility === 'public' && from.kind !== 'bot') {
    step.cancel('agent-no-reply-reminder', 'visitor-idle-reminder', 'visitor-idle-close');
    step.schedule('visitor-idle-reminder', state.settings.visitorIdleReminderMs).schedule('visitor-idle-close', state.settings.visitorIdleCloseMs);
    if (from.kind === 'agent' && state.firstAgentReplyAt === null) {
      step.set({ firstAgentReplyAt: now }).emit({ name: 'conversation.first-agent-reply', agentId: from.agentId, sinceCreatedMs: now - state.createdAt });
    }
  }
  return step.done();
}

function close(step: Step, by: Actor, reason: CloseReason, summary: string | null): Step {
  const { state } = step;
  if (state.status === 'queued') step.effects.push({ type: 'dequeue', skillGroupId: state.skillGroupId! });
  const servedBy = state.agentId;
  step
    .releaseAgent()
    .cancel('visitor-idle-reminder', 'visitor-idle-close', 'agent-no-reply-reminder', 'agent-no-answer')
    .set({
      status: 'closed',
      closedAt: step.now,
      closeReason: reason,
      summary,
      waitingSince: null,
      monitors: [],
      invitedAgentIds: [],
      visitor: { ...state.visitor, lastAgentId: servedBy ?? state.visitor.lastAgentId },
    })
    .emit({ name: 'conversation.closed', by, reason, agentId: servedBy, summary })
    .pushStatus();
  if (servedBy !== null && state.rating === null) step.push('visitor', { kind: 'rating-requested' });
  return step;
}

function timerFired(step: Step, timer: TimerName, at: number): ConversationDecision {
  const { state } = step;
  if (state.timers[timer] !== at) return accept(state); // cancelled or rescheduled since
  const { [timer]: _, ...timers } = state.timers;
  step.set({ timers });
  switch (timer) {
    case 'visitor-idle-reminder':
      return step.push('visitor', { kind: 'reminder', timer }).done();
    case 'visitor-idle-close':
      return close(step, { kind: 'system' }, 'visitor-idle', null).done();
    case 'agent-no-reply-reminder':
      return step.push('agents', { kind: 'reminder', timer }).done();
    case 'agent-no-answer': {
      if ((state.status !== 'assigned' && state.status !== 'transferred') || state.acceptedAt !== null) return step.done();
      step.releaseAgent().set({ unansweredBy: [...state.unansweredBy, state.agentId!] });
      return step.enqueue(state.skillGroupId!, 'no-answer').done();
    }
    default:
      return unreachable(timer);
  }
}


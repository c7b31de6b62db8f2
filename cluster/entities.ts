/**
 * Every MikroORM entity of Kefu, in one list: the ORM is initialised with it, and the migrations of
 * both dialects (cluster/migrations/) are generated from it.
 */
import { Message } from '../actors/conversation/message.entity.ts';
import { Channel } from '../actors/directory/channel.entity.ts';
import { SetupToken } from '../actors/directory/setup-token.entity.ts';
import { Visitor, VisitorToken } from '../actors/directory/visitor.entity.ts';
import { ActorState } from './actor-state.entity.ts';

export const ENTITIES = [SetupToken, ActorState, Message, Channel, Visitor, VisitorToken];

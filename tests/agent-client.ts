/**
 * An agent protocol v1 client for tests and benchmarks: a workstation tab speaking only the public
 * protocol (docs/protocol/agent.md), signed in with a session cookie; records every frame and waits
 * for the ones a test expects.
 */
import type { AgentServerFrame } from '../gateways/agent/wire.ts';
import { FrameClient } from './ws-client.ts';

export class AgentClient extends FrameClient<AgentServerFrame> {
  constructor(url: string, options: { cookie?: string | null; origin?: string } = {}) {
    super(url, { ...(options.cookie ? { headers: { cookie: options.cookie } } : {}), ...(options.origin ? { origin: options.origin } : {}) });
  }

  static async connect(url: string, options: { cookie?: string | null; origin?: string } = {}): Promise<AgentClient> {
    const client = new AgentClient(url, options);
    await client.opened;
    return client;
  }

  async hello(fields: Record<string, unknown> = {}): Promise<Extract<AgentServerFrame, { type: 'welcome' }>> {
    this.send({ type: 'hello', v: 1, ...fields });
    return this.next('welcome');
  }
}

/**
 * A visitor protocol v1 client for tests and benchmarks: speaks only the public protocol
 * (docs/protocol/visitor.md), records every frame, and waits for the ones a test expects.
 */
import type { VisitorServerFrame } from '../gateways/visitor/wire.ts';
import { FrameClient } from './ws-client.ts';

type FrameOf<T extends VisitorServerFrame['type']> = Extract<VisitorServerFrame, { type: T }>;

export class VisitorClient extends FrameClient<VisitorServerFrame> {
  static async connect(url: string, options: { origin?: string; userAgent?: string } = {}): Promise<VisitorClient> {
    const client = new VisitorClient(url, { ...(options.origin ? { origin: options.origin } : {}), ...(options.userAgent ? { headers: { 'user-agent': options.userAgent } } : {}) });
    await client.opened;
    return client;
  }

  sendRaw(data: Buffer | string): void {
    this.ws.send(data);
  }

  /** Says hello and waits for the welcome. */
  async hello(fields: Record<string, unknown> = {}): Promise<FrameOf<'welcome'>> {
    this.send({ type: 'hello', v: 1, ...fields });
    return this.next('welcome');
  }

  messages(): FrameOf<'message'>[] {
    return this.frames.filter((f): f is FrameOf<'message'> => f.type === 'message');
  }
}

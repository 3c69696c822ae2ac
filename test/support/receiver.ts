import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedNotify {
  headers: http.IncomingHttpHeaders;
  body: string;
  answeredWith: string;
}

/**
 * A merchant's notify endpoint for tests. `answer` decides each reply (default: 200 `success`);
 * everything received is kept in order.
 */
export class NotifyReceiver {
  readonly received: ReceivedNotify[] = [];
  answer: (n: number) => { status: number; body: string } = () => ({ status: 200, body: 'success' });
  private server: http.Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const reply = this.answer(this.received.length);
        this.received.push({
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          answeredWith: reply.body,
        });
        response.writeHead(reply.status, { 'content-type': 'text/plain' }).end(reply.body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/notify`;
    return this;
  }

  /** Notifies that carried a given order number. */
  forOrder(orderNo: string): ReceivedNotify[] {
    return this.received.filter((n) => n.body.includes(`"orderNo":"${orderNo}"`));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

// Byte and drop counters beside the server's message counters, counted where messages are handed to Bun.
import { type Payload, WsServer } from './ws-server';

/** Counter fields added to the server's `counters` (beside messagesIn/Out), so stats() and metrics see them. */
export interface TrafficCounters {
  /** Payload bytes of messages received. */
  bytesIn: number;
  /** Payload bytes sent or queued to clients; a broadcast or publish counts once per recipient. */
  bytesOut: number;
  /** Pushes Bun dropped because the client was over backpressureLimit (Bun does not report drops inside a topic fan-out). */
  backpressureDrops: number;
  /** Refused handshakes by the HTTP status they got. */
  handshakesRejectedByStatus: Record<number, number>;
}

const size = (data: Payload | Buffer): number => (typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);

/**
 * The server object with traffic counted on its local delivery paths. A subclass, not a wrapper per socket:
 * counting must cost nothing per idle connection.
 */
export class CountedServer extends WsServer {
  declare readonly counters: WsServer['counters'] & TrafficCounters;

  constructor(...args: ConstructorParameters<typeof WsServer>) {
    super(...args);
    Object.assign(this.counters, { bytesIn: 0, bytesOut: 0, backpressureDrops: 0, handshakesRejectedByStatus: {} } satisfies TrafficCounters);
  }

  override push(fd: number, data: Payload): boolean {
    const local = this.socket(fd);
    const sent = super.push(fd, data);
    if (local?.readyState === 1) {
      if (sent) this.counters.bytesOut += size(data);
      else this.counters.backpressureDrops++;
    }
    return sent;
  }

  override deliverBroadcast(data: Payload, except: number[]): number {
    const reached = super.deliverBroadcast(data, except);
    this.counters.bytesOut += reached * size(data);
    return reached;
  }

  override deliverPublish(topic: string, data: Payload): number {
    const subscribers = super.deliverPublish(topic, data);
    this.counters.bytesOut += subscribers * size(data);
    return subscribers;
  }

  received(message: string | Buffer): void {
    this.counters.bytesIn += size(message);
  }

  rejected(status: number): void {
    const by = this.counters.handshakesRejectedByStatus;
    by[status] = (by[status] ?? 0) + 1;
  }
}

/** The traffic counters of any server, zero for one that does not count them. */
export function trafficOf(server: WsServer): TrafficCounters {
  const c = server.counters as Partial<TrafficCounters>;
  return { bytesIn: c.bytesIn ?? 0, bytesOut: c.bytesOut ?? 0, backpressureDrops: c.backpressureDrops ?? 0, handshakesRejectedByStatus: c.handshakesRejectedByStatus ?? {} };
}

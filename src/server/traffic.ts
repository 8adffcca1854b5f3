// Byte and drop counters: Bun reports them only where data meets its sockets, so they are counted there.
import type { Server } from 'bun';
import type { ConnData, Socket, WsServer } from './ws-server';

/** Counter fields added to the server's `counters` (beside messagesIn/Out), so stats() and metrics see them. */
export interface TrafficCounters {
  /** Payload bytes of messages received. */
  bytesIn: number;
  /** Payload bytes sent or queued to clients; a topic fan-out counts once per recipient. */
  bytesOut: number;
  /** Messages Bun dropped for a client over backpressureLimit (reported for direct sends; Bun does not report fan-out drops). */
  backpressureDrops: number;
  /** Refused handshakes by the HTTP status they got. */
  handshakesRejectedByStatus: Record<number, number>;
}

export type CountedServer = WsServer & { counters: WsServer['counters'] & TrafficCounters };

/** Bytes of what Bun was handed (ody sends strings and byte arrays; a Blob counts by its size). */
const size = (data: string | { byteLength: number } | Blob): number => (typeof data === 'string' ? Buffer.byteLength(data) : data instanceof Blob ? data.size : data.byteLength);

/** Adds the traffic fields to `server.counters` (zero) and returns the server typed with them. */
export function countTraffic(server: WsServer): CountedServer {
  Object.assign(server.counters, { bytesIn: 0, bytesOut: 0, backpressureDrops: 0, handshakesRejectedByStatus: {} } satisfies TrafficCounters);
  return server as CountedServer;
}

/** The traffic counters of any server, zero where countTraffic never ran. */
export function trafficOf(server: WsServer): TrafficCounters {
  const c = server.counters as Partial<TrafficCounters>;
  return { bytesIn: c.bytesIn ?? 0, bytesOut: c.bytesOut ?? 0, backpressureDrops: c.backpressureDrops ?? 0, handshakesRejectedByStatus: c.handshakesRejectedByStatus ?? {} };
}

export function countReceived(server: CountedServer, message: string | Buffer): void {
  server.counters.bytesIn += size(message);
}

export function countRejected(server: CountedServer, status: number): void {
  const by = server.counters.handshakesRejectedByStatus;
  by[status] = (by[status] ?? 0) + 1;
}

/**
 * Wraps the send paths of one socket. send() says what happened to each message (bytes, -1 queued,
 * 0 dropped); a socket's publish() reaches the topic's other subscribers.
 */
export function countSocket(server: CountedServer, ws: Socket): void {
  const counters = server.counters;
  const send = ws.send.bind(ws);
  const publish = ws.publish.bind(ws);
  ws.send = (data, compress) => {
    const status = send(data, compress);
    if (status === 0) counters.backpressureDrops++;
    else counters.bytesOut += size(data);
    return status;
  };
  ws.publish = (topic, data, compress) => {
    const others = server.localSubscriberCount(topic) - (ws.isSubscribed(topic) ? 1 : 0);
    counters.bytesOut += others * size(data);
    return publish(topic, data, compress);
  };
}

/** Wraps the server-wide publish (broadcast and topic fan-out): one copy per subscriber. */
export function countServer(server: CountedServer, bun: Server<ConnData>): void {
  const counters = server.counters;
  const publish = bun.publish.bind(bun);
  bun.publish = (topic, data, compress) => {
    counters.bytesOut += bun.subscriberCount(topic) * size(data);
    return publish(topic, data, compress);
  };
}

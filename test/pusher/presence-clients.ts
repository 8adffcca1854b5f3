// Raw presence members for the storm tests: plain WebSockets speaking the protocol (many can join at once), each
// recording whom it knows and anything it heard twice, out of order, or did not expect.
import { createHmac } from 'node:crypto';
import { APP } from './fixtures';

export type Member = { ws: WebSocket; user: string; socketId: string; joined: boolean; knows: Set<string>; twice: string[] };

export async function connect(url: string, user: string): Promise<Member> {
  const ws = new WebSocket(`${url}/app/${APP.key}?protocol=7&client=js&version=8.6.0`);
  const m: Member = { ws, user, socketId: '', joined: false, knows: new Set(), twice: [] };
  const { promise, resolve, reject } = Promise.withResolvers<Member>();
  ws.onerror = () => reject(new Error(`${user} could not connect`));
  ws.onmessage = (e) => {
    const msg = JSON.parse(String(e.data)) as { event: string; data: string };
    const data = JSON.parse(msg.data) as Record<string, any>;
    if (msg.event === 'pusher:connection_established') {
      m.socketId = data.socket_id;
      return resolve(m);
    }
    if (msg.event === 'pusher_internal:subscription_succeeded') {
      m.joined = true;
      for (const id of data.presence.ids as string[]) m.knows.add(id);
    } else if (msg.event === 'pusher_internal:member_added') {
      if (m.knows.has(data.user_id)) m.twice.push(data.user_id);
      m.knows.add(data.user_id);
    } else if (msg.event === 'pusher_internal:member_removed') {
      if (!m.knows.has(data.user_id)) m.twice.push(`removed ${data.user_id}`);
      m.knows.delete(data.user_id);
    } else {
      m.twice.push(`unexpected ${msg.event}`);
    }
  };
  return promise;
}

/** Sends a signed subscribe to presence `channel` as the member's user. */
export function join(m: Member, channel: string, info: unknown = {}): void {
  const channelData = JSON.stringify({ user_id: m.user, user_info: info });
  const auth = `${APP.key}:${createHmac('sha256', APP.secret).update(`${m.socketId}:${channel}:${channelData}`).digest('hex')}`;
  m.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth, channel_data: channelData } }));
}

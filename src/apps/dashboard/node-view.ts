// What one node tells the dashboard: its traffic samples, its apps' sockets, channels and presence members, its
// webhook queue and the adapter's state; and a channel's subscribers held here. Answered for every node through the
// adapter (PusherServer.answer), so the page sees the whole cluster.
import { keyOf } from '../../pusher/registry';
import { type Asked, pusherOf, type PusherServer, type Told } from '../../pusher/server';
import type { Sample } from '../stats';

export interface NodeView {
  node: number;
  connections: number;
  samples: Sample[];
  apps: Record<string, { connections: number; channels: number; members: number; enabled: boolean }>;
  webhooks: { queued: number; sent: number; failedAttempts: number; dropped: number };
  adapter: { driver: string; state: string };
}

export function nodeView(layer: PusherServer, since: number): NodeView {
  const apps: NodeView['apps'] = {};
  for (const app of layer.apps) {
    // Only apps with sockets here have channels here: a node serving a few of many tenants scans for those few.
    const channels = layer.limits.connections(app.id) > 0 ? layer.registry.channels(app.id, '', true, Number.POSITIVE_INFINITY).list : [];
    const members = channels.reduce((sum, c) => sum + c.users.length, 0);
    apps[app.id] = { connections: layer.limits.connections(app.id), channels: channels.length, members, enabled: app.enabled };
  }
  const status = layer.node.adapter.status();
  return {
    node: layer.node.id,
    connections: layer.node.connectionCount(),
    samples: layer.stats.since(since),
    apps,
    webhooks: { queued: layer.webhooks.queued, ...layer.webhooks.stats },
    adapter: { driver: status.driver, state: status.state },
  };
}

export interface Subscriber {
  node: number;
  socketId: string;
  userId?: string;
}

/** Sockets subscribed to a channel on this node, with the presence user each joined as. */
export function subscribersHere(layer: PusherServer, appId: string, channel: string): Subscriber[] {
  return [...layer.registry.subscribers(keyOf(appId, channel))].map((ws) => {
    const conn = pusherOf(ws);
    const userId = conn.channels.get(channel)?.userId ?? conn.userId;
    return { node: layer.node.id, socketId: conn.socketId, ...(userId !== undefined ? { userId } : {}) };
  });
}

/** The view of every node (this one first). */
export async function clusterView(layer: PusherServer, since: number): Promise<NodeView[]> {
  const others = (await layer.node.adapter.ask({ kind: 'app', q: { p: 'dash', since } satisfies Asked })) as (NodeView | null)[];
  return [nodeView(layer, since), ...others.filter((v): v is NodeView => v !== null)];
}

/** A channel's subscribers on every node. */
export async function clusterSubscribers(layer: PusherServer, appId: string, channel: string): Promise<Subscriber[]> {
  const others = (await layer.node.adapter.ask({ kind: 'app', q: { p: 'subs', app: appId, channel } satisfies Asked })) as (Subscriber[] | null)[];
  return [subscribersHere(layer, appId, channel), ...others].flatMap((list) => list ?? []);
}

/** Disables an app on every node until they restart (the dashboard's button): its sockets get 4003. */
export function disableEverywhere(layer: PusherServer, appId: string): void {
  layer.appStore.disable(appId);
  layer.node.adapter.tell({ p: 'disable', app: appId } satisfies Told);
}

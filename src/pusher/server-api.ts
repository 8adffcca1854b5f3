// What user code gets on the server object for Pusher channels: trigger from the server side, and channel
// inspection asked of every node (server.channels; server.trigger is its shortcut).
import type { ResolvedApp } from '../config/schema';
import { OdyError } from '../errors';
import { channelProblem } from './channel-names';
import { frame } from './frames';
import type { PusherServer } from './server';
import { fdOf } from './socket-id';

export interface TriggerOptions {
  /** A socket_id not to send to (the client whose action caused the event). */
  except?: string;
  /** The app id; @default the first app in `apps` */
  app?: string;
}

export class Channels {
  constructor(private readonly layer: PusherServer) {}

  /**
   * Sends `event` to the subscribers of `channel` (or several) on every node, at once and without awaiting: the same
   * frame an HTTP API trigger sends. `data` that is not a string is sent as JSON, as the server SDKs do.
   */
  trigger(channel: string | string[], event: string, data: unknown, options: TriggerOptions = {}): void {
    const app = this.#app(options.app);
    const channels = Array.isArray(channel) ? channel : [channel];
    if (typeof event !== 'string' || event === '') throw new TypeError('event must be a non-empty string');
    for (const c of channels) {
      const problem = channelProblem(c, app.maxChannelNameLength);
      if (problem) throw new TypeError(`${problem}: ${JSON.stringify(c)}`);
    }
    const except = options.except === undefined ? [] : [fdOf(options.except) ?? -1];
    const text = typeof data === 'string' ? data : JSON.stringify(data ?? null);
    for (const c of channels) this.layer.publish(app, c, frame(event, text, c), except);
  }

  /**
   * Occupied channels (optionally by prefix) across the cluster, with subscription counts and presence user counts.
   * Throws OdyError E_INCOMPLETE when a node did not answer in time or had more channels than one answer carries.
   */
  async list(prefix = '', options: { app?: string } = {}): Promise<{ channel: string; subscriptions: number; users: number }[]> {
    const { channels: all, incomplete } = await this.layer.channels(this.#app(options.app), prefix);
    if (incomplete) throw new OdyError(`channels.list: the cluster's answer is incomplete: ${incomplete}`, 'E_INCOMPLETE');
    return [...all].map(([channel, c]) => ({ channel, subscriptions: c.subscriptions, users: c.users.size }));
  }

  /** Members of a presence channel across the cluster (one entry per user, however many connections). */
  async members(channel: string, options: { app?: string } = {}): Promise<{ id: string; info: unknown }[]> {
    return [...(await this.layer.members(this.#app(options.app), channel))].map(([id, info]) => ({ id, info }));
  }

  #app(id: string | undefined): ResolvedApp {
    const app = id === undefined ? this.layer.apps[0] : this.layer.app(id);
    if (!app) throw new TypeError(id === undefined ? 'no Pusher apps are configured (config `apps`)' : `no app with id '${id}'`);
    return app;
  }
}

// Channel names: which kind a name is (by prefix, in Pusher's order) and whether it may be used at all.

export type ChannelKind = 'public' | 'private' | 'encrypted' | 'presence' | 'user';

export interface ChannelType {
  kind: ChannelKind;
  /** A cache channel: its last event is replayed to new subscribers. */
  cache: boolean;
}

const VALID = /^[A-Za-z0-9_\-=@,.;]+$/;
const USER_CHANNEL = '#server-to-user-';

export function channelType(name: string): ChannelType {
  if (name.startsWith(USER_CHANNEL)) return { kind: 'user', cache: false };
  if (name.startsWith('private-encrypted-')) return { kind: 'encrypted', cache: name.startsWith('private-encrypted-cache-') };
  if (name.startsWith('private-')) return { kind: 'private', cache: name.startsWith('private-cache-') };
  if (name.startsWith('presence-')) return { kind: 'presence', cache: name.startsWith('presence-cache-') };
  return { kind: 'public', cache: name.startsWith('cache-') };
}

/** Why `name` cannot be a channel, or undefined when it can. `#` is for ody's own channels (#server-to-user-{id}). */
export function channelProblem(name: unknown, maxLength: number): string | undefined {
  if (typeof name !== 'string' || name === '') return 'channel must be a non-empty string';
  if (name.length > maxLength) return `channel name longer than ${maxLength} characters`;
  if (name.startsWith(USER_CHANNEL)) return name.length > USER_CHANNEL.length ? undefined : 'user channel without a user id';
  if (!VALID.test(name)) return 'channel name may contain only A-Z a-z 0-9 _ - = @ , . ;';
  return undefined;
}

/** The user a `#server-to-user-{id}` channel belongs to. */
export function userOfChannel(name: string): string {
  return name.slice(USER_CHANNEL.length);
}

export function userChannel(userId: string): string {
  return USER_CHANNEL + userId;
}

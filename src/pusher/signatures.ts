// Pusher's HMAC signatures: channel and user authorization, encrypted-channel secrets; compared in constant time.
import { equalInConstantTime, hmacSha256, sha256 } from '../crypto';

export interface AppCredentials {
  key: string;
  secret: string;
}

/** Control characters in a user id: ody refuses them (protocol.ts), so the helpers never sign one. */
export const CONTROL = /[\u0000-\u001f\u007f]/;

export function hmac(secret: string, text: string): string {
  return hmacSha256(secret, text, 'hex');
}

/** `key:signature` as a client presents it, checked against what `signed` should be signed as. */
export function checkAuth(app: AppCredentials, auth: unknown, signed: string): boolean {
  if (typeof auth !== 'string') return false;
  const colon = auth.indexOf(':');
  if (colon < 0 || !equalInConstantTime(auth.slice(0, colon), app.key)) return false;
  return equalInConstantTime(auth.slice(colon + 1), hmac(app.secret, signed));
}

export interface ChannelAuth {
  auth: string;
  channel_data?: string;
  shared_secret?: string;
}

/**
 * What an auth endpoint answers for a private, presence or encrypted channel (the `pusher` SDK's authorizeChannel):
 * for presence pass { user_id, user_info? }; for private-encrypted-* pass the app's base64 master key.
 */
export function authorizeChannel(app: AppCredentials, socketId: string, channel: string, presence?: { user_id: string | number; user_info?: unknown }, encryptionMasterKeyBase64?: string): ChannelAuth {
  const out: ChannelAuth = { auth: '' };
  let signed = `${socketId}:${channel}`;
  if (presence && CONTROL.test(String(presence.user_id))) throw new TypeError('presence user_id must not contain control characters (ody refuses them)');
  if (presence) {
    out.channel_data = JSON.stringify(presence);
    signed += `:${out.channel_data}`;
  }
  out.auth = `${app.key}:${hmac(app.secret, signed)}`;
  if (channel.startsWith('private-encrypted-')) {
    if (!encryptionMasterKeyBase64) throw new TypeError('private-encrypted channels need the encryption master key (base64, 32 bytes)');
    out.shared_secret = sharedSecret(channel, encryptionMasterKeyBase64);
  }
  return out;
}

/** What a user-authentication endpoint answers for pusher:signin (the SDK's authenticateUser). `user.id` must be a non-empty string. */
export function authenticateUser(app: AppCredentials, socketId: string, user: { id: string; [key: string]: unknown }): { auth: string; user_data: string } {
  if (typeof user?.id !== 'string' || user.id === '' || CONTROL.test(user.id)) throw new TypeError('user.id must be a non-empty string without control characters');
  const userData = JSON.stringify(user);
  return { auth: `${app.key}:${hmac(app.secret, `${socketId}::user::${userData}`)}`, user_data: userData };
}

/** base64(SHA256(channel name ‖ master key bytes)): the per-channel key clients decrypt with. */
export function sharedSecret(channel: string, masterKeyBase64: string): string {
  return sha256(Buffer.concat([Buffer.from(channel), Buffer.from(masterKeyBase64, 'base64')]), 'base64');
}

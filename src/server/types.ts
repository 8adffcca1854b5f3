// The shapes user callbacks receive: frames, open requests, client info, and the callback signatures.
import type { Handshake } from './handshake';
import type { WsServer } from './ws-server';

/** A message as onMessage receives it (Swoole's Frame). Ody delivers whole messages, so `finish` is always true. */
export interface Frame {
  fd: number;
  /** A string for text frames, bytes for binary frames. */
  data: string | Uint8Array;
  /** 1 = text, 2 = binary. */
  opcode: 1 | 2;
  finish: true;
}

/** What onOpen receives about the new connection (Swoole passes the upgrade Request with its fd). */
export interface OpenRequest {
  fd: number;
  /** Full URL of the upgrade request. */
  url: string;
  headers: Headers;
  remoteAddress: string;
  /** Subprotocol chosen in the handshake, '' when none. */
  protocol: string;
  /** Per-connection data attached by onHandshake (handshake.data). */
  data: Record<string, unknown>;
}

/** getClientInfo(fd): what the server knows about a connection. */
export interface ClientInfo {
  fd: number;
  remoteAddress: string;
  url: string;
  protocol: string;
  /** Epoch ms when the WebSocket was established. */
  connectTime: number;
  /** Index of the worker process that owns the connection (0 with one worker). */
  worker: number;
  /** Id of the node that owns the connection (0 with the memory adapter); the low 20 bits of its fd otherwise. */
  node: number;
  data: Record<string, unknown>;
}

export type MaybePromise<T> = T | Promise<T>;

/** Signatures of the six callbacks. */
export interface Hooks {
  handshake: (request: Request, handshake: Handshake) => MaybePromise<Response | boolean | void>;
  open: (server: WsServer, request: OpenRequest) => MaybePromise<void>;
  message: (server: WsServer, frame: Frame) => MaybePromise<void>;
  close: (server: WsServer, fd: number, code: number, reason: string) => MaybePromise<void>;
  disconnect: (server: WsServer, fd: number) => MaybePromise<void>;
  request: (request: Request, server: WsServer) => MaybePromise<Response | void>;
}

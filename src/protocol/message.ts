import { randomUUID } from 'node:crypto';

/**
 * The beehive `model.Message` as it travels over CloudHub's WebSocket (protocol.md §3.1): one JSON
 * document per frame. Field names are the wire names.
 */
export interface MessageHeader {
  msg_id: string;
  parent_msg_id?: string;
  timestamp: number;
  resourceversion?: string;
  sync?: boolean;
  type?: string;
}

export interface MessageRoute {
  source?: string;
  destination?: string;
  group?: string;
  operation?: string;
  resource?: string;
}

export interface BeehiveMessage<C = unknown> {
  header: MessageHeader;
  route: MessageRoute;
  content: C;
}

/** Operations a hollow node sends or receives. `ping`, `pong` and `config` are reserved by viaduct. */
export const Operation = {
  Insert: 'insert',
  Update: 'update',
  Patch: 'patch',
  Delete: 'delete',
  Query: 'query',
  Response: 'response',
  Error: 'error',
  Keepalive: 'keepalive',
} as const;
export type OperationName = (typeof Operation)[keyof typeof Operation];

export const RESERVED_OPERATIONS: ReadonlySet<string> = new Set(['ping', 'pong', 'config']);

/** Sources and groups used by EdgeCore (protocol.md §3.2–3.4). */
export const EDGE_SOURCE = 'edged';
export const EDGE_GROUP = 'meta';
export const CLOUD_SOURCE = 'edgecontroller';
export const CLOUD_GROUP = 'resource';
/** Upstream sources CloudHub silently drops (protocol.md §3.2). */
export const CLOUD_MODULE_SOURCES: ReadonlySet<string> = new Set([
  'cloudhub',
  'cloudStream',
  'devicecontroller',
  'edgecontroller',
  'synccontroller',
]);

/** The `ObjectResp` shape of CloudCore's responses: `{"Object":…,"Err":…}`. */
export interface ObjectResponse<T = unknown> {
  Object: T | null;
  Err: StatusErrorPayload | null;
}

/** A Go `StatusError` marshalled to JSON. */
export interface StatusErrorPayload {
  ErrStatus: KubeStatus;
}

export interface KubeStatus {
  metadata?: Record<string, unknown>;
  status?: string;
  message?: string;
  reason?: string;
  details?: { name?: string; kind?: string; group?: string; causes?: unknown[] };
  code?: number;
}

export type Clock = () => number;
export const wallClock: Clock = () => Date.now();

export function newMessageId(): string {
  return randomUUID();
}

/** A request from the edge (`source: edged`, `group: meta`). */
export function buildRequest<C>(
  operation: OperationName,
  resource: string,
  content: C,
  now: Clock = wallClock,
): BeehiveMessage<C> {
  if (RESERVED_OPERATIONS.has(operation)) {
    throw new RangeError(
      `operation "${operation}" is reserved by viaduct and never reaches CloudCore`,
    );
  }
  return {
    header: { msg_id: newMessageId(), timestamp: now() },
    route: { source: EDGE_SOURCE, group: EDGE_GROUP, operation, resource },
    content,
  };
}

/** The keepalive of protocol.md §2.4 / §8.1. Nothing answers it. */
export function buildKeepalive(now: Clock = wallClock): BeehiveMessage<string> {
  return {
    header: { msg_id: newMessageId(), timestamp: now() },
    route: {
      source: 'websocket',
      group: 'resource',
      resource: 'node',
      operation: Operation.Keepalive,
    },
    content: 'ping',
  };
}

/**
 * The ack that releases one of CloudCore's ACK-mode deliveries: `NewRespByMessage(msg, "OK")`, which
 * copies source, group and resource and sets `parent_msg_id` (protocol.md §3.6, §8.6).
 */
export function buildAck(received: BeehiveMessage, now: Clock = wallClock): BeehiveMessage<string> {
  return buildResponse(received, 'OK', now);
}

/** `NewRespByMessage(orig, content)` (protocol.md §3.1): used by the cloud side and for acks. */
export function buildResponse<C>(
  orig: BeehiveMessage,
  content: C,
  now: Clock = wallClock,
  resourceVersion?: string,
): BeehiveMessage<C> {
  const header: MessageHeader = {
    msg_id: newMessageId(),
    parent_msg_id: orig.header.msg_id,
    timestamp: now(),
  };
  if (resourceVersion) header.resourceversion = resourceVersion;
  const route: MessageRoute = { operation: Operation.Response };
  if (orig.route.source) route.source = orig.route.source;
  if (orig.route.group) route.group = orig.route.group;
  if (orig.route.resource) route.resource = orig.route.resource;
  return { header, route, content };
}

/** A downstream push from the cloud (used by the embedded hub and by tests). */
export function buildPush<C>(
  operation: OperationName,
  resource: string,
  content: C,
  resourceVersion: string | undefined,
  now: Clock = wallClock,
): BeehiveMessage<C> {
  const header: MessageHeader = { msg_id: newMessageId(), timestamp: now() };
  if (resourceVersion) header.resourceversion = resourceVersion;
  return {
    header,
    route: { source: CLOUD_SOURCE, group: CLOUD_GROUP, operation, resource },
    content,
  };
}

/** Is this downstream message a response to one of our requests (non-empty `parent_msg_id`)? */
export function isResponse(msg: BeehiveMessage): boolean {
  return typeof msg.header.parent_msg_id === 'string' && msg.header.parent_msg_id.length > 0;
}

/**
 * Does the edge owe CloudCore an ack for this downstream message? Pushes (`insert`, `update`,
 * `delete`, `patch` without a parent) always; responses only when they carry a resourceversion and
 * an object (protocol.md §3.7, §4.2 rule 5). Extra acks are harmless.
 */
export function needsAck(msg: BeehiveMessage): boolean {
  const op = msg.route.operation;
  if (!isResponse(msg)) {
    return (
      op === Operation.Insert ||
      op === Operation.Update ||
      op === Operation.Delete ||
      op === Operation.Patch
    );
  }
  if (op !== Operation.Response) return false;
  const rv = msg.header.resourceversion;
  return (
    typeof rv === 'string' &&
    rv.length > 0 &&
    msg.content !== null &&
    typeof msg.content === 'object'
  );
}

/** Content may be a JSON object or a string holding JSON (protocol.md §3.1 `GetContentData`). */
export function contentAsObject<T>(content: unknown): T | undefined {
  if (typeof content === 'string') {
    try {
      return JSON.parse(content) as T;
    } catch {
      return undefined;
    }
  }
  if (content !== null && typeof content === 'object') return content as T;
  return undefined;
}

/** Reads `{"Object":…,"Err":…}`; returns undefined for contents of any other shape. */
export function asObjectResponse<T>(content: unknown): ObjectResponse<T> | undefined {
  const obj = contentAsObject<Record<string, unknown>>(content);
  if (!obj || !('Object' in obj || 'Err' in obj)) return undefined;
  return {
    Object: (obj.Object ?? null) as T | null,
    Err: (obj.Err ?? null) as StatusErrorPayload | null,
  };
}

/** A bare `{"ErrStatus":…}` content (query responses for missing objects). */
export function asStatusError(content: unknown): KubeStatus | undefined {
  const obj = contentAsObject<Record<string, unknown>>(content);
  if (!obj || typeof obj.ErrStatus !== 'object' || obj.ErrStatus === null) return undefined;
  return obj.ErrStatus as KubeStatus;
}

export function statusError(
  reason: string,
  code: number,
  message: string,
  details?: KubeStatus['details'],
): StatusErrorPayload {
  const status: KubeStatus = { metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return { ErrStatus: status };
}

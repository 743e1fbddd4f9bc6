import { HollowfleetError } from '../common/errors.js';
import type { BeehiveMessage } from './message.js';

/** A frame from the cloud that is not a beehive message. Counted and logged once per kind. */
export class FrameDecodeError extends HollowfleetError {
  readonly kind: FrameErrorKind;
  constructor(kind: FrameErrorKind, message: string) {
    super('HF_PROTOCOL_FRAME', message);
    this.kind = kind;
  }
}

export type FrameErrorKind =
  'not-json' | 'not-object' | 'no-header' | 'no-route' | 'bad-msg-id' | 'empty';

/** One JSON document per text frame (protocol.md §2.2). */
export function encodeMessage(msg: BeehiveMessage): string {
  return JSON.stringify(msg);
}

/**
 * Decodes the first JSON value in a text or binary frame. Go's encoder appends `\n`; a second
 * document in the same frame is ignored, as viaduct ignores it (probe-findings §3.11).
 */
export function decodeMessage(data: string | Buffer | ArrayBuffer | Buffer[]): BeehiveMessage {
  const text = frameText(data);
  if (text.trim() === '') throw new FrameDecodeError('empty', 'empty frame');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = parseFirstDocument(text);
  }
  return validateMessage(value);
}

function frameText(data: string | Buffer | ArrayBuffer | Buffer[]): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** Finds the end of the first top-level JSON object and parses just that part. */
function parseFirstDocument(text: string): unknown {
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '{') throw new FrameDecodeError('not-json', 'frame is not JSON');
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) {
        try {
          return JSON.parse(text.slice(start, i + 1));
        } catch {
          break;
        }
      }
    }
  }
  throw new FrameDecodeError('not-json', 'frame is not JSON');
}

function validateMessage(value: unknown): BeehiveMessage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FrameDecodeError('not-object', 'frame is JSON but not an object');
  }
  const obj = value as Record<string, unknown>;
  const header = obj.header;
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new FrameDecodeError('no-header', 'message has no header object');
  }
  const route = obj.route;
  if (route === null || typeof route !== 'object' || Array.isArray(route)) {
    throw new FrameDecodeError('no-route', 'message has no route object');
  }
  const h = header as Record<string, unknown>;
  if (h.msg_id !== undefined && typeof h.msg_id !== 'string') {
    throw new FrameDecodeError('bad-msg-id', 'header.msg_id is not a string');
  }
  if (h.parent_msg_id !== undefined && typeof h.parent_msg_id !== 'string') {
    throw new FrameDecodeError('bad-msg-id', 'header.parent_msg_id is not a string');
  }
  const r = route as Record<string, unknown>;
  for (const key of ['source', 'group', 'operation', 'resource'] as const) {
    if (r[key] !== undefined && typeof r[key] !== 'string') {
      throw new FrameDecodeError('no-route', `route.${key} is not a string`);
    }
  }
  if (!('content' in obj)) obj.content = null;
  return obj as unknown as BeehiveMessage;
}

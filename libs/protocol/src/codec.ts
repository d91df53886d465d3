/**
 * Bytes ⇄ messages. `decode` never throws on bad input: it returns a typed error value whose
 * `code` says what was wrong (SPEC §9; STYLE.md lesson 11) and whose `where` names the field, so a
 * server can answer it with an error reply and keep serving. `encode` validates too: a sender can
 * never put NaN (JSON would silently turn it into null) or a short series on the wire.
 */
import { ZonalError } from '@zonal/core';
import type { z } from 'zod';
import {
  type ErrorBody,
  type ErrorCode,
  isMessageType,
  type Message,
  messageSchemas,
  MESSAGE_TYPES,
  PROTOCOL_VERSION,
} from './messages';

export interface DecodeError {
  code: ErrorCode;
  /** Says what is wrong, starting with the field it is in. */
  message: string;
  /** Path of the offending field (`body.pMaxKw[3]`); absent when the payload as a whole is bad. */
  where?: string;
  inReplyTo?: ErrorBody['inReplyTo'];
}

export type DecodeResult = { ok: true; message: Message } | { ok: false; error: DecodeError };

export interface DecodeExpectations {
  /** Refuse (code 'run') a message stamped with another run id. */
  runId?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

export function decode(payload: Uint8Array | string, expect: DecodeExpectations = {}): DecodeResult {
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8.decode(payload);
  } catch {
    return fail('malformed', 'payload is not valid UTF-8');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return fail('malformed', `payload is not JSON (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return fail('malformed', 'payload is not a JSON object');
  }
  const record = data as Record<string, unknown>;
  const inReplyTo = identityOf(record);
  if (!('v' in record)) return fail('malformed', 'v: missing protocol version', 'v', inReplyTo);
  if (record.v !== PROTOCOL_VERSION) {
    return fail('version', `v: version ${short(record.v)} is not supported (this agent speaks ${PROTOCOL_VERSION})`, 'v', inReplyTo);
  }
  if (!isMessageType(record.type)) {
    return fail('malformed', `type: ${short(record.type)} is not a message type (one of ${MESSAGE_TYPES.join(', ')})`, 'type', inReplyTo);
  }
  const parsed = messageSchemas[record.type].safeParse(record);
  if (!parsed.success) {
    const { where, message } = describeIssues(parsed.error.issues);
    return fail('malformed', `${record.type}: ${message}`, where, inReplyTo);
  }
  const message = parsed.data as Message;
  if (expect.runId !== undefined && message.runId !== expect.runId) {
    return fail('run', `runId: message is for run ${message.runId}, this agent serves run ${expect.runId}`, 'runId', inReplyTo);
  }
  return { ok: true, message };
}

/** JSON bytes of a valid message; throws a ZonalError naming the field when the message is invalid. */
export function encode(message: Message): Uint8Array {
  const type = isMessageType(message.type) ? message.type : undefined;
  if (!type) throw new ZonalError(`${short(message.type)} is not a message type`, 'type');
  const parsed = messageSchemas[type].safeParse(message);
  if (!parsed.success) {
    const { where, message: text } = describeIssues(parsed.error.issues);
    throw new ZonalError(`cannot send ${type}: ${text}`, where);
  }
  return utf8Encoder.encode(JSON.stringify(message));
}

/** `body.pKw[3]` from zod's path `['body', 'pKw', 3]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc === '' ? String(key) : `${acc}.${String(key)}`;
  }, '');
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): { where: string; message: string } {
  const first = issues[0];
  const where = formatPath(first.path);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return { where, message: `${where || '(message)'}: ${first.message}${more}` };
}

function identityOf(record: Record<string, unknown>): DecodeError['inReplyTo'] {
  const id: NonNullable<DecodeError['inReplyTo']> = {};
  if (typeof record.type === 'string') id.type = record.type.slice(0, 64);
  if (typeof record.seq === 'number' && Number.isFinite(record.seq)) id.seq = record.seq;
  if (typeof record.sender === 'string') id.sender = record.sender.slice(0, 128);
  return Object.keys(id).length > 0 ? id : undefined;
}

/** A value quoted in an error message, bounded so a hostile payload cannot make the reply huge. */
function short(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function fail(code: ErrorCode, message: string, where?: string, inReplyTo?: DecodeError['inReplyTo']): DecodeResult {
  const error: DecodeError = { code, message };
  if (where !== undefined) error.where = where;
  if (inReplyTo !== undefined) error.inReplyTo = inReplyTo;
  return { ok: false, error };
}

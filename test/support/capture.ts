// What the secrets checks read: every line a logger writes, and every string inside a value.
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../src/lib/logger';

/** A logger that writes every line into `lines`, at trace level and without redaction (stricter than production). */
export function capturingLogger(name: string, lines: string[]): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return pino({ name, level: 'trace' }, sink);
}

/** Every string in a value (a workflow history), byte arrays decoded as UTF-8, so a secret inside a payload shows up as text. */
export function textOf(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).join('\n');
  if (typeof value === 'object' && value !== null) return Object.values(value).map(textOf).join('\n');
  return '';
}

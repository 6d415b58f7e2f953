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

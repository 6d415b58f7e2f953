import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.History;
const { History } = temporal.api.history.v1;

export const HISTORIES_DIR = join(__dirname, 'histories');

/**
 * A history as readable JSON (enum names, int64 as strings, payload bytes as base64), the inverse of
 * readHistory. The SDK's historyToJSON refuses the objects fetchHistory returns in this setup.
 */
export function historyAsJson(history: temporal.api.history.v1.IHistory): string {
  return JSON.stringify(History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String }));
}

export interface RecordedHistory {
  file: string;
  workflowType: string;
  history: History;
}

/** Every recorded history; the workflow type is the file name up to its last '-' (type-commit.json). */
export function recordedHistories(dir = HISTORIES_DIR): RecordedHistory[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      workflowType: file.slice(0, file.lastIndexOf('-')),
      history: History.fromObject(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>),
    }));
}

/** The patch ids a history's run recorded (its `core_patch` markers: patched() took the new path). */
export function patchesOf(history: History): string[] {
  return (history.events ?? []).flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
  });
}

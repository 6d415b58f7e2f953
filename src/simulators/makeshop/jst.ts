/**
 * ASSUMPTION (unconfirmed): MakeShop speaks Japan wall-clock time (UTC+9, no DST): orderinfo's start/end
 * are yyyymmddhhmmss (reference makeshop-api.md §3.2) and <date> is written "YYYY-MM-DD HH:MM:SS".
 */
const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

function jstParts(epochMs: number): string[] {
  const jst = new Date(epochMs + JST_OFFSET_MS);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return [
    pad(jst.getUTCFullYear(), 4),
    pad(jst.getUTCMonth() + 1),
    pad(jst.getUTCDate()),
    pad(jst.getUTCHours()),
    pad(jst.getUTCMinutes()),
    pad(jst.getUTCSeconds()),
  ];
}

/** yyyymmddhhmmss, as in window parameters and download file names. */
export function compactJst(epochMs: number): string {
  return jstParts(epochMs).join('');
}

/** "YYYY-MM-DD HH:MM:SS", as in the order XML's <date>. */
export function displayJst(epochMs: number): string {
  const [year, month, day, hour, minute, second] = jstParts(epochMs);
  return `${year}-${month}-${day} ${hour}:${minute}:${second}`;
}

/** The epoch ms of a yyyymmddhhmmss JST parameter, or undefined when it is not one. */
export function parseCompactJst(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second) - JST_OFFSET_MS;
  return compactJst(epochMs) === text ? epochMs : undefined;
}

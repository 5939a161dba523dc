export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** The UTC day of an epoch-millisecond time, as YYYY-MM-DD. */
export function dayOf(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** Epoch milliseconds of the start of a YYYY-MM-DD UTC day. */
export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`);
}

export function iso(time: number): string {
  return new Date(time).toISOString();
}

export function epochSeconds(time: number): number {
  return Math.floor(time / 1000);
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * The UTC day of an epoch-millisecond time, as YYYY-MM-DD. Asked for every event and edge, nearly
 * always of the day asked for last: that day is kept, and formatting a date is done once a day.
 */
export function dayOf(time: number): string {
  if (time >= lastDayStart && time < lastDayStart + DAY_MS) return lastDay;
  const day = new Date(time).toISOString().slice(0, 10);
  if (Number.isFinite(time)) {
    lastDayStart = Math.floor(time / DAY_MS) * DAY_MS;
    lastDay = day;
  }
  return day;
}

let lastDayStart = Number.NaN;
let lastDay = '';

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

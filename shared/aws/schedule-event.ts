import { z } from 'zod';

/** The part of an EventBridge scheduled event a scheduled run reads: when the schedule fired. */
const ScheduledEventSchema = z.object({ time: z.iso.datetime({ offset: true }) });

/**
 * When an EventBridge schedule fired, epoch ms: the name of the run, the same for every retry of
 * it. Undefined for an event without one (a function invoked by hand).
 */
export function scheduleTime(event: unknown): number | undefined {
  const parsed = ScheduledEventSchema.safeParse(event);
  return parsed.success ? Date.parse(parsed.data.time) : undefined;
}

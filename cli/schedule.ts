import { CronExpressionParser } from 'cron-parser';
import { ConfigError } from '../shared/config';

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * The times an EventBridge schedule expression fires, in UTC, so that a CLI replay can run the
 * rebaseline at every schedule time crossed in event time, as the deployed rule would have.
 */
export class Schedule {
  private readonly next: (after: number) => number;

  constructor(readonly expression: string) {
    const rate = RATE.exec(expression);
    if (rate) {
      const interval = Number(rate[1]) * (UNIT_MS[(rate[2] as string).replace(/s$/, '')] as number);
      if (interval <= 0) throw new ConfigError(`rebaseline.schedule: ${expression} must be a positive rate`);
      // EventBridge starts a rate when the rule is created; a replay anchors it at midnight UTC.
      this.next = (after) => (Math.floor(after / interval) + 1) * interval;
      return;
    }
    const cron = CRON.exec(expression);
    if (!cron) throw new ConfigError(`rebaseline.schedule: ${expression} is not a cron() or rate() expression`);
    const fields = (cron[1] as string).trim().split(/\s+/);
    if (fields.length !== 6) {
      throw new ConfigError(
        `rebaseline.schedule: ${expression} needs six fields (minutes hours day month weekday year)`,
      );
    }
    const [minute, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
    const standard = [minute, hour, dom.replace('?', '*'), month, eventBridgeWeekday(dow.replace('?', '*'))].join(' ');
    const years = year === '*' ? undefined : new Set(expandYears(year));
    try {
      CronExpressionParser.parse(standard, { tz: 'UTC' });
    } catch (cause) {
      throw new ConfigError(`rebaseline.schedule: ${expression} is not a valid cron expression`, { cause });
    }
    this.next = (after) => {
      const iterator = CronExpressionParser.parse(standard, { currentDate: new Date(after), tz: 'UTC' });
      for (let i = 0; i < 10_000; i++) {
        const time = iterator.next().getTime();
        if (!years || years.has(new Date(time).getUTCFullYear())) return time;
      }
      return Number.POSITIVE_INFINITY;
    };
  }

  /** The first firing strictly after `after` (epoch ms). */
  nextAfter(after: number): number {
    return this.next(after);
  }

  /** Every firing in (from, to]. */
  *between(from: number, to: number): Generator<number> {
    for (let t = this.next(from); t <= to; t = this.next(t)) yield t;
  }
}

/** EventBridge numbers weekdays 1-7 from Sunday; standard cron 0-6. Names (MON-FRI) pass through. */
function eventBridgeWeekday(field: string): string {
  return field.replace(/\d+/g, (n) => String((Number(n) - 1 + 7) % 7));
}

function expandYears(field: string): number[] {
  const out: number[] = [];
  for (const part of field.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let y = a; y <= (b ?? a); y++) out.push(y);
  }
  return out;
}

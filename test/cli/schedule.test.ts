import { describe, expect, it } from 'vitest';
import { Schedule } from '../../cli/schedule';
import { ConfigError } from '../../shared/config/errors';

const t = (iso: string) => Date.parse(iso);
const isoList = (times: Iterable<number>) => [...times].map((x) => new Date(x).toISOString());

describe('Schedule', () => {
  it('fires the default daily cron at midnight UTC', () => {
    const schedule = new Schedule('cron(0 0 * * ? *)');
    expect(isoList(schedule.between(t('2026-11-01T10:00:00Z'), t('2026-11-03T00:00:00Z')))).toEqual([
      '2026-11-02T00:00:00.000Z',
      '2026-11-03T00:00:00.000Z',
    ]);
    expect(schedule.nextAfter(t('2026-11-02T00:00:00Z'))).toBe(t('2026-11-03T00:00:00Z'));
  });

  it('maps EventBridge weekdays (1 = Sunday) and years', () => {
    const mondays = new Schedule('cron(30 6 ? * 2 *)');
    expect(new Date(mondays.nextAfter(t('2026-11-01T00:00:00Z'))).toISOString()).toBe('2026-11-02T06:30:00.000Z');
    const named = new Schedule('cron(0 12 ? * MON-FRI 2027)');
    expect(new Date(named.nextAfter(t('2026-11-01T00:00:00Z'))).toISOString()).toBe('2027-01-01T12:00:00.000Z');
  });

  it('fires rate expressions on fixed boundaries', () => {
    const schedule = new Schedule('rate(6 hours)');
    expect(isoList(schedule.between(t('2026-11-01T01:00:00Z'), t('2026-11-01T13:00:00Z')))).toEqual([
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T12:00:00.000Z',
    ]);
  });

  it('rejects expressions it cannot run', () => {
    expect(() => new Schedule('daily')).toThrow(ConfigError);
    expect(() => new Schedule('cron(0 0 * *)')).toThrow(/six fields/);
    expect(() => new Schedule('cron(99 0 * * ? *)')).toThrow(/not a valid cron/);
  });
});

import type { DetectContext, MetricStats } from '../../types';

/** The factor that turns a median absolute deviation into a standard-deviation-like spread for normal data. */
const MAD_SCALE = 1.4826;

/**
 * The value above which an hour is a spike, from an edge's hourly statistics: the highest of an
 * absolute floor, `ratio` times the median hour, the median plus `deviations` robust deviations,
 * and twice the highest hour seen (so a burst the edge makes every day, a nightly backup, is its
 * normal). Undefined while the history is shorter than the configured minimum.
 */
export function spikeLimit(
  stats: MetricStats | undefined,
  context: DetectContext,
  limits: { floor: number; ratio: number; deviations: number },
): number | undefined {
  const { minHours, minDays } = context.config.network.stats;
  if (!stats || stats.hours < minHours || stats.days < minDays) return undefined;
  return Math.max(
    limits.floor,
    stats.median * limits.ratio,
    stats.median + limits.deviations * MAD_SCALE * stats.mad,
    stats.max * 2,
  );
}

/** `48.2 MB`, `1.2 GB`. */
export function bytesText(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

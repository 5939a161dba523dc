import type { Config } from '../../config';
import type { ListHealthDetector, ThreatListCheck } from '../types';

const HOUR_MS = 3_600_000;

/** Hours between two runs of a `rate(...)` schedule; undefined for a `cron(...)` one. */
function rateHours(schedule: string): number | undefined {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (!match) return undefined;
  const per = { minute: 1 / 60, hour: 1, day: 24 }[match[2] as 'minute' | 'hour' | 'day'];
  return Number(match[1]) * per;
}

/**
 * How long a list may go without a refresh before it is reported: `threatIntel.fetch.staleAfterHours`,
 * else two runs of a `rate()` schedule (one failed run is a blip the next usually mends), else two
 * days for a `cron()` one, as a daily cron is the usual kind.
 */
function staleAfterHours(fetch: Config['threatIntel']['fetch']): number {
  return fetch.staleAfterHours ?? 2 * (rateHours(fetch.schedule) ?? 24);
}

function check(input: Partial<ThreatListCheck>): ThreatListCheck {
  const now = Date.parse('2026-11-10T00:00:00Z');
  return {
    kind: 'list',
    list: 'tor-exit',
    since: now - 30 * HOUR_MS,
    hasCopy: true,
    lastAttempt: now - 2 * HOUR_MS,
    failures: 5,
    error: 'https://check.torproject.org/torbulkexitlist answered HTTP 503',
    version: 'example-version',
    now,
    origin: { uri: 'threat-list:tor-exit' },
    ...input,
  };
}

export const threatListStale: ListHealthDetector = {
  id: 'net.threat-list-stale',
  kind: 'list-health',
  source: 'vpc-flow',
  title: 'Threat list not refreshed',
  description:
    'A list the stack fetches (`threatIntel.fetch`) has not refreshed for `threatIntel.fetch.staleAfterHours` ' +
    '(by default two of its refresh intervals). ' +
    'Its last good copy stays in use, so the threat-intel detectors still run, but against addresses that age by ' +
    'the hour (Tor exits and botnet hosts change daily); a list never fetched matches nothing at all (medium). The site ' +
    'may be down, have moved the list or changed its format, or the stack may have lost its egress.',
  severity: 'low',
  mitre: ['T1562.001'],
  dedupeMinutes: 24 * 60,
  equivalents: { falco: 'none', guardduty: 'none', elastic: 'none', sigma: 'none' },
  runbook:
    'Read the error the finding gives, and the threat-list fetcher’s log, which names the list and the reason of ' +
    'each failed run. For an HTTP error or a network error, open the URL from the stack’s network; for a refused ' +
    'body (empty, not addresses, shrunk), compare it with the copy in use in the threat-list bucket. Fix the URL ' +
    'in `threatIntel.fetch.lists`, or remove a list that is gone; the next run clears the finding.',

  stale(input, context) {
    const limit = staleAfterHours(context.config.threatIntel.fetch);
    const hours = (input.now - input.since) / HOUR_MS;
    if (hours < limit) return undefined;
    const why = input.error ? `: ${input.error}` : '';
    const attempts = `${input.failures} refresh${input.failures === 1 ? '' : 'es'} failed`;
    return {
      ...(input.hasCopy ? {} : { severity: 'medium' as const, title: 'Threat list never fetched' }),
      summary: input.hasCopy
        ? `Threat list ${input.list} has not refreshed for ${Math.floor(hours)} hours (${attempts}); its copy of ` +
          `${new Date(input.since).toISOString()} stays in use${why}.`
        : `Threat list ${input.list} has never been fetched in ${Math.floor(hours)} hours (${attempts}), so no ` +
          `address is matched against it${why}.`,
      entities: {
        threatList: input.list,
        ...(input.hasCopy ? { lastRefreshed: new Date(input.since).toISOString() } : {}),
        ...(input.version ? { listVersion: input.version } : {}),
      },
      evidence: `last attempt ${new Date(input.lastAttempt).toISOString()}${why}`,
      dedupeKey: `stale|${input.list}`,
    };
  },

  examples: {
    fires: [check({}), check({ hasCopy: false, version: undefined, since: Date.parse('2026-11-09T00:00:00Z') })],
    quiet: [
      // A run failed, and the next is due: no finding for one blip.
      check({ since: Date.parse('2026-11-09T16:00:00Z'), failures: 1 }),
      check({ since: Date.parse('2026-11-09T23:00:00Z'), failures: 0, error: undefined }),
    ],
  },
};

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import {
  DYNAMO_CLIENT_CONFIG,
  DynamoTable,
  S3ListStore,
  STALE_LISTS_METRIC,
  THREAT_LIST_FETCH_SERVICE,
  threatListEnvironment,
} from '../shared/aws';
import { ThreatListStatusStore } from '../shared/baseline';
import { configFromEnv, fetchedLists } from '../shared/config';
import { type HttpGet, type ListStore, type ListToFetch, type RefreshOutcome, refreshLists } from '../shared/intel';
import { printable } from '../shared/util';

export interface ThreatListFetch {
  logger: Logger;
  metrics: Metrics;
  lists: ListToFetch[];
  store: ListStore;
  get: HttpGet;
  maxShrinkPercent: number;
  /** Where each list's refresh status goes, for the rebaseline to report a list that stopped refreshing. */
  statuses: ThreatListStatusStore;
  clock: () => number;
}

export interface ThreatListFetchOverrides {
  s3?: S3Client;
  dynamo?: DynamoDBClient;
  env?: NodeJS.ProcessEnv;
  /** The HTTP GET. @default the global fetch */
  get?: HttpGet;
  /** @default Date.now */
  clock?: () => number;
}

/** The fetcher's parts, created once per container from its environment and config. */
export function createThreatListFetch(overrides: ThreatListFetchOverrides = {}): ThreatListFetch {
  const location = threatListEnvironment(overrides.env);
  const settings = configFromEnv(overrides.env).threatIntel.fetch;
  return {
    logger: new Logger({ serviceName: THREAT_LIST_FETCH_SERVICE }),
    metrics: new Metrics({ namespace: 'Driftwatch', serviceName: THREAT_LIST_FETCH_SERVICE }),
    lists: fetchedLists(settings.lists),
    store: new S3ListStore(overrides.s3 ?? new S3Client({}), location),
    get: overrides.get ?? httpGet,
    maxShrinkPercent: settings.maxShrinkPercent,
    statuses: new ThreatListStatusStore(
      new DynamoTable({
        tableName: location.tableName,
        client: overrides.dynamo ?? new DynamoDBClient({ ...DYNAMO_CLIENT_CONFIG }),
      }),
    ),
    clock: overrides.clock ?? Date.now,
  };
}

/** The platform's fetch, following redirects, asking for text. */
function httpGet(url: string, signal: AbortSignal) {
  return fetch(url, { signal, redirect: 'follow', headers: { accept: 'text/plain, application/json, */*' } });
}

/**
 * EventBridge schedule → refresh every list of `threatIntel.fetch`. A list that fails keeps its
 * last good copy; the run still succeeds (a retry would fetch the same failure), and reports the
 * list in its log and in the `ThreatListsStale` metric, which the stack alarms on. Each list's
 * status goes to the state table last: the rebaseline reports a list that stays stale as a finding.
 */
export function threatListFetchHandler(fetcher: ThreatListFetch) {
  const { logger, metrics } = fetcher;
  return middy(async function refreshThreatLists(): Promise<RefreshOutcome[]> {
    const at = fetcher.clock();
    const outcomes = await refreshLists(fetcher.lists, {
      get: fetcher.get,
      store: fetcher.store,
      maxShrinkPercent: fetcher.maxShrinkPercent,
    });
    const stale = outcomes.filter((o) => o.status === 'stale');
    for (const outcome of stale) {
      logger.warn('threat list not refreshed: its last good copy stays in use', {
        list: outcome.name,
        reason: printable(outcome.reason),
        entriesKept: outcome.kept ?? 0,
      });
    }
    metrics.addMetric(STALE_LISTS_METRIC, 'Count', stale.length);
    metrics.addMetric('ThreatListsUpdated', 'Count', outcomes.filter((o) => o.status === 'updated').length);
    logger.info('threat lists refreshed', {
      lists: outcomes.map((o) => ({ list: o.name, status: o.status, entries: 'entries' in o ? o.entries : o.kept })),
    });
    // Last, after the metric: a table that cannot be written fails the run, which is retried.
    await fetcher.statuses.record(outcomes, at);
    return outcomes;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

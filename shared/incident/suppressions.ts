import type { Entities, Finding } from '../alert';
import { describeIssue, type SuppressionRule, SuppressionSchema } from '../config';
import { CidrIndex, parseCidr } from '../intel';
import { type Item, keys, type Table } from '../store';
import { DAY_MS, epochSeconds, GlobSet, iso, printable } from '../util';

/**
 * A suppression that cannot be added or removed: the message is one line saying what is wrong and
 * how to fix it, fit to show to the person who asked.
 */
export class SuppressionError extends Error {
  override readonly name = 'SuppressionError';
}

/** Entity keys whose patterns are addresses: a CIDR (or a bare address), or a glob of the text. */
const ADDRESS_KEYS = new Set(['srcAddr', 'dstAddr', 'sourceIps']);

/**
 * Array-valued entities that match only when every element matches. An audit event's `sourceIps`
 * starts with the X-Forwarded-For addresses the client chose to send, so "any" would let a caller
 * mute itself by naming a suppressed address; a pod's images are all it runs, so "any" would let a
 * trusted image hide an untrusted sidecar. Other arrays (`groups`) match when any element does.
 */
const EVERY_ELEMENT = new Set(['sourceIps', 'image']);

/** One entity test of a rule. */
type EntityTest = (entities: Entities) => boolean;

interface CompiledRule {
  id: string;
  /** Epoch ms from which it no longer applies. */
  expiresAt: number;
  ruleId?: GlobSet;
  tests: EntityTest[];
}

/**
 * What is wrong with a pattern for `key`, or undefined when it is usable. Address keys take a
 * CIDR, a bare address or a glob (`10.0.*`); anything else there is a typo that would never match.
 */
function patternProblem(key: string, pattern: string): string | undefined {
  if (!ADDRESS_KEYS.has(key) || parseCidr(pattern)) return undefined;
  if (!pattern.includes('/') && /[*?]/.test(pattern)) return undefined;
  return `${key}=${printable(pattern, 80)} is not a CIDR (10.0.0.0/16), an address (10.0.0.5) or a glob (10.0.*)`;
}

/** An entity value as the strings a pattern is tried on: arrays element by element, numbers as text. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value))
    return value.flatMap((v) => (typeof v === 'string' || typeof v === 'number' ? [String(v)] : []));
  return [];
}

/**
 * The values a rule's entity key is tried on. `workload` is the audit workload, else either end
 * of the traffic; `image` is the image, else the pod's images.
 */
function valuesOf(entities: Entities, key: string): string[] {
  if (key === 'workload') return strings(entities.workload ?? entities.srcWorkload ?? entities.dstWorkload);
  if (key === 'image') return strings(entities.image ?? entities.images);
  return strings(entities[key]);
}

/**
 * A value test for one pattern. Audit findings name a workload with its kind (`Deployment
 * shop/web`), flow findings without (`shop/web`): `workload=shop/web` matches both.
 */
function valueTest(key: string, pattern: string): (value: string) => boolean {
  if (ADDRESS_KEYS.has(key) && parseCidr(pattern)) {
    const range = new CidrIndex<true>();
    range.add(pattern, true);
    return (value) => range.lookup(value) === true;
  }
  const glob = new GlobSet([pattern]);
  if (key !== 'workload') return (value) => glob.matches(value);
  return (value) => {
    const space = value.indexOf(' ');
    return glob.matches(value) || (space !== -1 && glob.matches(value.slice(space + 1)));
  };
}

function entityTest(key: string, pattern: string): EntityTest {
  const test = valueTest(key, pattern);
  const every = EVERY_ELEMENT.has(key);
  return (entities) => {
    const values = valuesOf(entities, key);
    return values.length > 0 && (every ? values.every(test) : values.some(test));
  };
}

/**
 * A rule ready to test, or undefined when one of its patterns is unusable or it has no readable
 * expiry (it then matches nothing).
 */
function compile(rule: SuppressionRule): CompiledRule | undefined {
  const entries = Object.entries(rule.entities);
  const expiresAt = Date.parse(rule.expires);
  if (!Number.isFinite(expiresAt) || entries.some(([key, pattern]) => patternProblem(key, pattern))) return undefined;
  return {
    id: rule.id,
    expiresAt,
    ruleId: rule.ruleId === undefined ? undefined : new GlobSet([rule.ruleId]),
    tests: entries.map(([key, pattern]) => entityTest(key, pattern)),
  };
}

/**
 * Decides which suppression, if any, mutes a finding's notification. A rule applies when it has
 * not expired and every field it names matches; the first that applies wins. A rule with an
 * unusable address pattern matches nothing, so a typo can only fail to mute, never mute too much.
 */
export class SuppressionMatcher {
  private readonly rules: CompiledRule[];

  /** @param rules the suppressions in force (removed ones left out), in the order they are tried. */
  constructor(rules: readonly SuppressionRule[]) {
    this.rules = rules.flatMap((rule) => compile(rule) ?? []);
  }

  /** How many rules it tries. */
  get size(): number {
    return this.rules.length;
  }

  /** The id of the first suppression that applies to `finding` at `at` (epoch ms), else undefined. */
  match(finding: Finding, at: number): string | undefined {
    for (const rule of this.rules) {
      if (at >= rule.expiresAt) continue;
      if (rule.ruleId && !rule.ruleId.matches(finding.ruleId)) continue;
      if (rule.tests.every((test) => test(finding.entities))) return rule.id;
    }
    return undefined;
  }
}

/** A suppression as `driftwatch suppress list` shows it. */
export interface SuppressionView {
  rule: SuppressionRule;
  /** `config`: from the config file (it ends when removed from there); `table`: added with `suppress add`. */
  source: 'table' | 'config';
  /** When it was added, ISO-8601; absent for config ones. */
  createdAt?: string;
  /** Who added it; `config` for config ones. */
  createdBy: string;
  removedAt?: string;
  removedBy?: string;
  removedReason?: string;
  /** Its expiry has passed. */
  expired: boolean;
  /** Notifications it muted, over every suppression of its id. */
  muted: number;
}

/** One change of the table's suppressions. */
export interface SuppressionChange {
  at: string;
  action: 'add' | 'remove';
  id: string;
  by: string;
  /** For an add, the suppression's reason; for a remove, why it was removed. */
  reason: string;
  rule: SuppressionRule;
}

export interface SuppressionStoreOptions {
  /** The longest a suppression may last, in days (config `maxSuppressionDays`). @default 90 */
  maxDays?: number;
  /** The config's suppressions, listed beside the table's; `add` refuses their ids. @default [] */
  config?: readonly SuppressionRule[];
  /** How long the table's suppressions are reused before being read again. @default 60_000 */
  refreshMs?: number;
}

/** How long a rule item is kept after it ended, so `list --all` still shows it; the history keeps it for good. */
const RETAIN_DAYS = 90;

/** A rule item of the table, read. */
interface TableRule {
  rule: SuppressionRule;
  createdAt: number;
  createdBy: string;
  /** Epoch ms from which it no longer applies: its expiry, or when it was removed. */
  activeUntil: number;
  removedAt?: number;
  removedBy?: string;
  removedReason?: string;
}

function fromItem(item: Item): TableRule {
  return {
    rule: JSON.parse(String(item.rule)) as SuppressionRule,
    createdAt: Number(item.createdAt),
    createdBy: String(item.createdBy),
    activeUntil: Number(item.activeUntil),
    removedAt: item.removedAt === undefined ? undefined : Number(item.removedAt),
    removedBy: item.removedBy === undefined ? undefined : String(item.removedBy),
    removedReason: item.removedReason === undefined ? undefined : String(item.removedReason),
  };
}

/**
 * Suppressions added at run time (`driftwatch suppress add`), beside the config's: one item per
 * id in `SUPPRESS` (the newest of that id), a muted counter per id there too, and every add and
 * remove in `SUPPRESSLOG`. A removed suppression is kept, marked, so the list can say who removed
 * it and why.
 */
export class SuppressionStore {
  private readonly maxDays: number;
  private readonly config: readonly SuppressionRule[];
  private readonly refreshMs: number;
  private cached?: { at: number; rules: TableRule[] };

  constructor(
    private readonly table: Table,
    /** Wall clock, epoch ms. */
    private readonly clock: () => number,
    options: SuppressionStoreOptions = {},
  ) {
    this.maxDays = options.maxDays ?? 90;
    this.config = options.config ?? [];
    this.refreshMs = options.refreshMs ?? 60_000;
  }

  /**
   * Adds a suppression after checking it: a valid rule, an expiry in the future and at most
   * `maxDays` away, usable address patterns, and an id no config suppression and no active one
   * in the table uses (a removed or expired id may be used again).
   */
  async add(input: SuppressionRule, by: string): Promise<SuppressionRule> {
    const rule = this.check(input);
    const now = this.clock();
    const expiresAt = Date.parse(rule.expires);
    const written = await this.table.put(
      {
        ...keys.suppressionRule(rule.id),
        rule: JSON.stringify(rule),
        createdAt: now,
        createdBy: by,
        activeUntil: expiresAt,
        expiresAt: epochSeconds(expiresAt + RETAIN_DAYS * DAY_MS),
      },
      { kind: 'absentOrBelow', attribute: 'activeUntil', value: now + 1 },
    );
    if (!written) {
      throw new SuppressionError(`${rule.id} is already active; remove it first or choose another id`);
    }
    await this.log({ at: iso(now), action: 'add', id: rule.id, by, reason: rule.reason, rule });
    this.cached = undefined;
    return rule;
  }

  /** Ends a table suppression now. Its item stays, marked with who removed it, when and why. */
  async remove(id: string, by: string, reason: string): Promise<void> {
    if (reason.trim().length < 3) throw new SuppressionError('say why it is removed, in a few words');
    if (this.config.some((rule) => rule.id === id)) {
      throw new SuppressionError(`${id} comes from the config file; delete it there (and redeploy)`);
    }
    const key = keys.suppressionRule(id);
    const item = await this.table.get(key);
    if (!item)
      throw new SuppressionError(`no suppression ${printable(id, 80)} in the table; see driftwatch suppress list`);
    const found = fromItem(item);
    const now = this.clock();
    if (found.removedAt !== undefined) {
      throw new SuppressionError(
        `${id} was removed already, at ${iso(found.removedAt)} by ${printable(found.removedBy ?? '?', 80)}`,
      );
    }
    if (found.activeUntil <= now)
      throw new SuppressionError(`${id} expired at ${iso(found.activeUntil)}; nothing to remove`);
    const removed = await this.table.update(
      key,
      {
        set: {
          activeUntil: now,
          removedAt: now,
          removedBy: by,
          removedReason: reason,
          expiresAt: epochSeconds(now + RETAIN_DAYS * DAY_MS),
        },
      },
      // Still active: a concurrent remove did not get there first.
      { kind: 'absentOrAbove', attribute: 'activeUntil', value: now },
    );
    if (!removed)
      throw new SuppressionError(`${id} was removed or expired meanwhile; see driftwatch suppress list --all`);
    await this.log({ at: iso(now), action: 'remove', id, by, reason, rule: found.rule });
    this.cached = undefined;
  }

  /** The config's suppressions, then the table's by creation time; by default only those in force. */
  async list(options: { includeExpired?: boolean; includeRemoved?: boolean } = {}): Promise<SuppressionView[]> {
    const now = this.clock();
    const items = await this.table.query(keys.suppressions());
    const muted = new Map<string, number>();
    const rules: TableRule[] = [];
    for (const item of items) {
      if (item.rule !== undefined) rules.push(fromItem(item));
      else muted.set(String(item.id), Number(item.muted ?? 0));
    }
    const views: SuppressionView[] = [
      ...this.config.map((rule) => ({
        rule,
        source: 'config' as const,
        createdBy: 'config',
        expired: Date.parse(rule.expires) <= now,
        muted: muted.get(rule.id) ?? 0,
      })),
      ...rules
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((found) => ({
          rule: found.rule,
          source: 'table' as const,
          createdAt: iso(found.createdAt),
          createdBy: found.createdBy,
          ...(found.removedAt === undefined
            ? {}
            : { removedAt: iso(found.removedAt), removedBy: found.removedBy, removedReason: found.removedReason }),
          expired: Date.parse(found.rule.expires) <= now,
          muted: muted.get(found.rule.id) ?? 0,
        })),
    ];
    return views.filter(
      (view) => (options.includeExpired || !view.expired) && (options.includeRemoved || view.removedAt === undefined),
    );
  }

  /** Every add and remove, oldest first. */
  async history(): Promise<SuppressionChange[]> {
    return (await this.table.query(keys.suppressionLog())).map((item) => JSON.parse(String(item.change)));
  }

  /**
   * A matcher of the suppressions in force at `at`: `configRules` first, then the table's, oldest
   * first. The table is read once per `refreshMs` of this store's clock, so one engine run asks
   * once however many objects it handles, and a new suppression applies within a minute.
   */
  async active(configRules: readonly SuppressionRule[], at: number): Promise<SuppressionMatcher> {
    const tableRules = (await this.tableRules())
      .filter((found) => found.removedAt === undefined && found.activeUntil > at)
      .map((found) => found.rule);
    return new SuppressionMatcher([...configRules.filter((rule) => Date.parse(rule.expires) > at), ...tableRules]);
  }

  /**
   * Adds what suppressions muted to their counters (atomic ADDs, one per id; config ids too).
   * Counted at least once: a retried object counts again.
   */
  async countMuted(counts: ReadonlyMap<string, number>): Promise<void> {
    const keep = epochSeconds(this.clock() + RETAIN_DAYS * DAY_MS);
    for (const [id, count] of counts) {
      if (count <= 0) continue;
      await this.table.update(keys.suppressionMuted(id), { add: { muted: count }, set: { id, expiresAt: keep } });
    }
  }

  private async tableRules(): Promise<TableRule[]> {
    const now = this.clock();
    if (!this.cached || now - this.cached.at >= this.refreshMs) {
      // The partition's counters come along: one small item per id, cheaper than a second query.
      const items = (await this.table.query(keys.suppressions())).filter((item) => item.rule !== undefined);
      this.cached = { at: now, rules: items.map(fromItem).sort((a, b) => a.createdAt - b.createdAt) };
    }
    return this.cached.rules;
  }

  /** The rule as it will be stored, or a SuppressionError saying what to fix. */
  private check(input: SuppressionRule): SuppressionRule {
    const parsed = SuppressionSchema.safeParse(input);
    if (!parsed.success) throw new SuppressionError(describeIssue(parsed.error));
    const rule = parsed.data;
    if (!ISO_TIME.test(rule.expires)) {
      throw new SuppressionError(
        `expires ${printable(rule.expires, 40)} is not an ISO-8601 date (2027-01-31) or time with a zone (2027-01-31T18:00Z)`,
      );
    }
    const now = this.clock();
    const expiresAt = Date.parse(rule.expires);
    if (expiresAt <= now) throw new SuppressionError(`expires ${rule.expires} is in the past; choose a later date`);
    if (expiresAt > now + this.maxDays * DAY_MS) {
      throw new SuppressionError(
        `expires ${rule.expires} is more than ${this.maxDays} days away (maxSuppressionDays); choose an earlier date`,
      );
    }
    for (const [key, pattern] of Object.entries(rule.entities)) {
      const problem = patternProblem(key, pattern);
      if (problem) throw new SuppressionError(problem);
    }
    if (this.config.some((c) => c.id === rule.id)) {
      throw new SuppressionError(`${rule.id} is a suppression of the config file; choose another id`);
    }
    return rule;
  }

  private async log(change: SuppressionChange): Promise<void> {
    await this.table.put({
      pk: keys.suppressionLog(),
      sk: `${change.at}#${change.id}#${change.action}`,
      change: JSON.stringify(change),
    });
  }
}

/**
 * A date, or a date and time with a zone: a time without one would be read in the local zone of
 * whoever ran the command.
 */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * The public threat lists the stack's fetcher knows by name (`threatIntel.fetch.lists`), and where
 * each is published. The README's download commands for a local run use the same URLs and names,
 * so a finding names the same list in the CLI and in AWS.
 *
 * Cryptocurrency mining pools have no list of addresses maintained for this use: their operators
 * change addresses often and publish host names. A user who keeps one gives it as `{ name, url }`.
 */
export const PUBLIC_THREAT_LISTS = {
  /** The Tor Project's exit relays, one address per line, refreshed every few hours. */
  'tor-exit': 'https://check.torproject.org/torbulkexitlist',
  /** FireHOL level 1: attack sources, bogons and hijacked ranges, a netset with `#` comments. */
  'firehol-level1': 'https://raw.githubusercontent.com/firehol/blocklist-ipsets/master/firehol_level1.netset',
  /** Spamhaus DROP: ranges run by criminals, JSON lines with an SBL id each. */
  'spamhaus-drop': 'https://www.spamhaus.org/drop/drop_v4.json',
} as const;

export type PublicThreatList = keyof typeof PUBLIC_THREAT_LISTS;

export const PUBLIC_THREAT_LIST_NAMES = Object.keys(PUBLIC_THREAT_LISTS) as [PublicThreatList, ...PublicThreatList[]];

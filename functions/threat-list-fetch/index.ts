import { createThreatListFetch, threatListFetchHandler } from '../threat-list-fetch-handler';

/** EventBridge schedule → refresh the public threat lists the processors read. */
export const handler = threatListFetchHandler(createThreatListFetch());

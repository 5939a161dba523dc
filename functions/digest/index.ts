import { digestHandler } from '../digest-handler';
import { createRuntime } from '../runtime';

/** EventBridge schedule → the daily digest. */
export const handler = digestHandler(createRuntime('digest'));

import { rebaselineHandler } from '../rebaseline-handler';
import { createRuntime } from '../runtime';

/** EventBridge schedule → rebaseline. */
export const handler = rebaselineHandler(createRuntime('rebaseline'));

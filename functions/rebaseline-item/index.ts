import { rebaselineItemHandler } from '../rebaseline-handler';
import { createRuntime } from '../runtime';

/** State machine step 2, once per work item: fold it into the baselines. */
export const handler = rebaselineItemHandler(createRuntime('rebaseline-item'));

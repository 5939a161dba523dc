import { rebaselineFinishHandler } from '../rebaseline-handler';
import { createRuntime } from '../runtime';

/** State machine step 3: mark days folded, prune, deliver the run's findings. */
export const handler = rebaselineFinishHandler(createRuntime('rebaseline-finish'));

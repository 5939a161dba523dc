import { rebaselinePlanHandler } from '../rebaseline-handler';
import { createRuntime } from '../runtime';

/** State machine step 1: the schedule's time → the run's work items. */
export const handler = rebaselinePlanHandler(createRuntime('rebaseline-plan'));

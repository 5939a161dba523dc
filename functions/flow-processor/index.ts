import { objectHandler } from '../object-handler';
import { createRuntime } from '../runtime';

/** SQS (S3 notifications for the flow prefix) → VPC flow-log objects → findings. */
export const handler = objectHandler('flow', createRuntime('flow-processor'));

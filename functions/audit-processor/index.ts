import { objectHandler } from '../object-handler';
import { createRuntime } from '../runtime';

/** SQS (S3 notifications for the audit prefix) → EKS audit objects → findings. */
export const handler = objectHandler('audit', createRuntime('audit-processor'));

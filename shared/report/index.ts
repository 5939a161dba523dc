export { ReportError } from './errors';
export { ReportCollector, type WrittenReport } from './report-collector';

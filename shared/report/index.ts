export { DailyCountRecorder } from './daily-count-recorder';
export { ReportError } from './errors';
export { EXPOSURE_RULE, type FindingPlacement, placeFindings } from './highlights';
export { MapIndex } from './map-index';
export { buildNetworkMap, type MapGroup, type MapLink, type MapNode, type NetworkMap } from './network-map';
export { escapeHtml, loadReportAssets, renderReportHtml, scriptSafeJson } from './render-html';
export { ReportCollector, type ReportCollectorOptions, type ReportRun, type WrittenReport } from './report-collector';
export { buildReportData, type ReportData, type ReportFinding, type RunFacts } from './report-data';
export { type RunEdge, RunEdgeRecorder, type RunEdgeRecorderOptions, type RunEndpoint } from './run-edge-recorder';

export { renderReportHtml, writeReportHtml, escapeHtml, jsonForScript } from './render';
export { buildCharts, clockLabel, feederLayout, type ChartId, type ReportCharts } from './charts';
export type { ReportForHtml, PeriodForHtml, ViolationForHtml, CostColumnForHtml } from './types';

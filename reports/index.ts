/** flatline reports: HTML (run and sweep, single offline file), JUnit XML, JSON and Markdown. */

export { type QosMetrics, runQos } from '../harness/observe/qos.ts';
export { ReportError, type ReportErrorCode } from './errors.ts';
export type { ReportMeta } from './html/page.ts';
export { renderRunHtml } from './html/run.ts';
export { renderSweepHtml } from './html/sweep.ts';
export { renderJson } from './json.ts';
export { renderJunit } from './junit.ts';
export { type MarkdownOptions, renderMarkdown } from './markdown.ts';
export { type ConfigSummary, configKey, summarizeConfigs } from './sweep-summary.ts';
export { assertScenarioResults, assertSweepResult, isSweepResult } from './validate.ts';
export { formatFor, type ReportFormat, renderReport, writeReport } from './write.ts';

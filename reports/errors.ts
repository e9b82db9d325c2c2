/** Every failure of a renderer or of writeReport is a ReportError naming what and where. */
export type ReportErrorCode = 'bad-input' | 'unknown-format' | 'chart-failed' | 'write-failed';

export class ReportError extends Error {
  override readonly name = 'ReportError';
  constructor(
    readonly code: ReportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

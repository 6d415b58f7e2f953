import type { CatalogFile, CatalogIssue } from '../domain/catalog';

export type CatalogFileErrorCode =
  | 'empty-file'
  | 'not-csv'
  | 'encoding'
  | 'malformed-csv'
  | 'unrecognised-header'
  | 'missing-column'
  | 'files-swapped'
  | 'wrong-file'
  | 'no-data-rows'
  | 'too-many-rows';

/**
 * A problem that makes a whole file unusable: the upload fails and the previous catalog stays
 * active. `message` is Japanese and tells the merchant what to fix; `line` is the physical line
 * (0 when the problem is not tied to a line).
 */
export class CatalogFileError extends Error {
  override readonly name = 'CatalogFileError';

  constructor(
    readonly code: CatalogFileErrorCode,
    readonly file: CatalogFile,
    readonly line: number,
    message: string,
  ) {
    super(message);
  }

  toIssue(): CatalogIssue {
    return { file: this.file, line: this.line, message: this.message };
  }
}

import {
  CatalogMatcher,
  IssueCollector,
  buildUploadReport,
  withMatchResult,
  type CatalogUploadReport,
  type ConflictUpdate,
  type MatchedStockItem,
  type SmaregiCodeLookup,
  type StockItem,
  type UnmatchedSmaregiProduct,
} from '../domain/catalog';
import type { CatalogFileSource } from './csv-records';
import { readCatalogPair, type CatalogLimits, type CatalogProgress } from './parse';

export interface ImportCatalogOptions {
  productCsv: CatalogFileSource;
  optionCsv: CatalogFileSource;
  /** Smaregi 商品コード → productId. */
  smaregiProducts: SmaregiCodeLookup;
  /**
   * Receives every item with its status, in batches; awaited (backpressure). `errorsSoFar` counts the
   * row errors found up to and including this batch: once it is above 0 the pair will be refused.
   */
  onItems: (items: MatchedStockItem[], errorsSoFar: number) => Promise<void> | void;
  /**
   * Called once, after the last `onItems`, with the items already handed on whose status a later
   * item turned into `conflict` (keyed by `stockItemKey`). Must be applied before the catalog is
   * activated, or a conflicting item would be synced.
   */
  applyConflictUpdates: (updates: ConflictUpdate[]) => Promise<void> | void;
  onProgress?: (progress: CatalogProgress) => void;
  /** Row errors kept in the report (all are counted); default 1,000. */
  maxErrors?: number;
  batchSize?: number;
  progressEveryRows?: number;
  signal?: AbortSignal;
  limits?: CatalogLimits;
}

export interface CatalogImportResult {
  report: CatalogUploadReport;
  unmatchedSmaregiProducts: UnmatchedSmaregiProduct[];
}

/**
 * Parses, validates and matches one uploaded CSV pair in a single streaming pass. Memory is
 * bounded by the product map and the matcher's per-code state, never by a list of items.
 * Throws CatalogFileError when a file is unusable (the previous catalog must stay active).
 */
export async function importCatalogPair(options: ImportCatalogOptions): Promise<CatalogImportResult> {
  const issues = new IssueCollector(options.maxErrors ?? 1000);
  const matcher = new CatalogMatcher(options.smaregiProducts);
  const rows = await readCatalogPair({
    productCsv: options.productCsv,
    optionCsv: options.optionCsv,
    batchSize: options.batchSize,
    progressEveryRows: options.progressEveryRows,
    signal: options.signal,
    limits: options.limits,
    onProgress: options.onProgress,
    issues,
    onItems: async (items: StockItem[]) => {
      const matched = items.map((item): MatchedStockItem => {
        const { result, issue } = matcher.add(item);
        if (issue) issues.add(issue);
        return withMatchResult(item, result);
      });
      await options.onItems(matched, issues.count);
    },
  });
  const { counts, conflictUpdates, unmatchedSmaregiProducts } = matcher.finish();
  options.signal?.throwIfAborted();
  await options.applyConflictUpdates(conflictUpdates);
  return {
    report: buildUploadReport(rows, counts, issues, unmatchedSmaregiProducts.length),
    unmatchedSmaregiProducts,
  };
}

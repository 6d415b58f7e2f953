import type { CatalogProgress } from '../catalog';
import type { CatalogFile } from '../domain/catalog';
import { progressPercent, type CatalogUploadProgress } from '../domain/catalog-upload';

export interface ProgressReporterOptions {
  initial: CatalogUploadProgress;
  /** Size of each file: the parser reads the product file, then the option file. */
  fileBytes: Record<CatalogFile, number>;
  save(progress: CatalogUploadProgress): Promise<void>;
  now(): number;
  /** At most one save per this many ms (the merchant polls; MongoDB need not see every row). */
  everyMs: number;
  onSaveError(err: unknown): void;
}

/**
 * The upload's progress as the merchant sees it, saved to catalog_uploads at most every `everyMs`.
 * Saves never overlap and never fail the import: progress is informative only.
 */
export class UploadProgressReporter {
  private progress: CatalogUploadProgress;
  private lastSavedAt = Number.NEGATIVE_INFINITY;
  private saving: Promise<void> | null = null;
  private dirty = false;

  constructor(private readonly opts: ProgressReporterOptions) {
    this.progress = opts.initial;
  }

  get current(): CatalogUploadProgress {
    return this.progress;
  }

  enterPhase(phase: CatalogUploadProgress['phase'], pass: CatalogUploadProgress['pass'] = this.progress.pass): void {
    const newPass = pass !== this.progress.pass;
    this.set({ phase, pass, ...(newPass && { file: null, rows: 0 }) });
  }

  smaregiProductsRead(count: number): void {
    this.set({ smaregiProducts: count });
  }

  /** A report from the CSV parser during the import's one pass over the pair. */
  fileProgress(report: CatalogProgress): void {
    const beforeThisFile = report.file === 'optionCsv' ? this.opts.fileBytes.productCsv : 0;
    const bytes = beforeThisFile + report.bytes;
    this.set({ pass: 1, file: report.file, rows: report.rows, bytes, percent: progressPercent(bytes, this.progress.totalBytes) });
  }

  /** Waits for the last save, then saves what is newer. */
  async flush(): Promise<void> {
    while (this.saving) await this.saving;
    if (this.dirty) await this.save();
  }

  private set(patch: Partial<CatalogUploadProgress>): void {
    this.progress = { ...this.progress, ...patch };
    this.dirty = true;
    if (!this.saving && this.opts.now() - this.lastSavedAt >= this.opts.everyMs) void this.save();
  }

  private save(): Promise<void> {
    this.dirty = false;
    this.lastSavedAt = this.opts.now();
    const saving = this.opts
      .save(this.progress)
      .catch((err: unknown) => this.opts.onSaveError(err))
      .finally(() => {
        if (this.saving === saving) this.saving = null;
      });
    this.saving = saving;
    return saving;
  }
}

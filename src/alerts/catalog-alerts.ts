// A catalog import that finished tells the merchant: success with its counts (an informational alert),
// failure with its errors (open until an import succeeds).
import type { CatalogUploadReport } from '../domain/catalog';
import { catalogUploadError, type CatalogUploadErrorCode } from '../domain/catalog-upload';
import type { Logger } from '../lib/logger';
import { recordSafely, type AlertCenter } from './center';

export async function catalogImportSucceeded(
  center: AlertCenter | undefined,
  logger: Logger,
  upload: { tenantId: string; uploadId: string; report: CatalogUploadReport | null },
): Promise<void> {
  if (!center) return;
  const r = upload.report;
  const counts = r
    ? `商品 ${r.productRows}行・オプション ${r.optionRows}行から在庫管理対象 ${r.stockItems}件、スマレジと照合できた ${r.matched}件、照合できない ${r.unmatched}件、重複 ${r.conflicts}件、在庫無制限 ${r.unlimited}件`
    : '件数は管理画面で確認できます';
  await recordSafely(logger, 'catalog import succeeded', async () => {
    await center.raise(upload.tenantId, {
      kind: 'catalog-import-succeeded',
      subject: upload.uploadId,
      message: `カタログの取り込みが完了し、新しい商品データが有効になりました（${counts}）。照合できない商品がある場合は、商品コードを揃えて再アップロードしてください。`,
    });
    await center.resolve(upload.tenantId, 'catalog-import-failed', 'catalog');
  });
}

export async function catalogImportFailed(
  center: AlertCenter | undefined,
  logger: Logger,
  upload: { tenantId: string; uploadId: string; error: CatalogUploadErrorCode; report?: CatalogUploadReport | null },
): Promise<void> {
  // A newer upload already won: nothing for the merchant to do.
  if (!center || upload.error === 'superseded') return;
  const errors = upload.report?.errors ?? [];
  const listed = errors.slice(0, 5).map((e) => `${e.file === 'productCsv' ? '商品CSV' : 'オプションCSV'} ${e.line}行目: ${e.message}`);
  const more = (upload.report?.errorCount ?? errors.length) - listed.length;
  const detail = listed.length ? `\n${listed.join('\n')}${more > 0 ? `\nほか ${more}件` : ''}` : '';
  await recordSafely(logger, 'catalog import failed', () =>
    center.raise(upload.tenantId, {
      kind: 'catalog-import-failed',
      subject: 'catalog',
      message: `${catalogUploadError(upload.error).message}${detail}`,
    }),
  );
}

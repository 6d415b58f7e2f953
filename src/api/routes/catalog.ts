import Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CATALOG_FILE_LABEL, type CatalogFile } from '../../domain/catalog';
import { activeCatalogVersion, catalogActive, catalogItems } from '../../storage/catalog-items';
import { catalogUploads, deleteUploadFiles, uploadBucket, uploadFileName } from '../../storage/catalog-uploads';
import { TenantIdKey } from '../../temporal/search-attributes';
import { catalogWorkflowId } from '../../workflows/messages';
import type { AppDeps } from '../deps';
import { badRequest, notFound } from '../errors';
import { receiveFiles } from '../multipart';
import { registerRoute } from '../openapi';
import { tenantIdOf } from './tenant-context';

const FILES: readonly CatalogFile[] = ['productCsv', 'optionCsv'];
const STATUSES = ['matched', 'unmatched', 'conflict', 'unlimited'] as const;
const itemsQuery = z.object({
  status: z.enum(STATUSES, { error: `status は ${STATUSES.join(' / ')} のいずれかです` }).optional(),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const uploadParams = z.object({ uploadId: z.string().regex(/^up_[0-9a-f]{24}$/, 'アップロードIDが正しくありません') });

const tags = ['catalog'];
registerRoute({
  method: 'post',
  path: '/api/v1/catalog/uploads',
  summary: '商品データCSVとオプションデータCSVを一緒にアップロードする（処理は非同期）',
  tags,
  requestContentType: 'multipart/form-data',
  request: z.object({ productCsv: z.string().describe('商品データCSV (binary)'), optionCsv: z.string().describe('オプションデータCSV (binary)') }),
  status: 202,
  response: z.object({ uploadId: z.string() }),
});
registerRoute({ method: 'get', path: '/api/v1/catalog/uploads/{uploadId}', summary: 'アップロードの処理状況と結果レポート', tags });
registerRoute({ method: 'get', path: '/api/v1/catalog', summary: '有効なカタログ', tags });
registerRoute({ method: 'get', path: '/api/v1/catalog/items', summary: '有効なカタログの商品（照合状態ごと、ページ単位）', tags, query: itemsQuery });

/** Step 5: the CSV pair upload, its progress and report, and the active catalog. */
export function catalogRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/catalog' });
  const { db, config } = deps;

  router.post('/uploads', async (ctx) => {
    const tenantId = tenantIdOf(ctx);
    const uploadId = `up_${randomBytes(12).toString('hex')}`;
    const bucket = uploadBucket(db);
    const files = await receiveFiles(ctx.req, {
      fields: FILES,
      maxFileBytes: config.CATALOG_MAX_FILE_BYTES,
      labels: CATALOG_FILE_LABEL,
      sink: (field) => bucket.openUploadStream(uploadFileName(uploadId, field), { metadata: { tenantId, uploadId } }),
      discard: () => deleteUploadFiles(db, uploadId),
    });
    const missing = FILES.filter((f) => !files[f] || files[f].bytes === 0);
    if (missing.length > 0) {
      await deleteUploadFiles(db, uploadId);
      throw badRequest(
        'both_files_required',
        `商品データCSVとオプションデータCSVの両方をアップロードしてください（不足: ${missing.map((f) => CATALOG_FILE_LABEL[f]).join('、')}）。`,
        { missing },
      );
    }
    const totalBytes = files.productCsv!.bytes + files.optionCsv!.bytes;
    await catalogUploads(db).insertOne({
      _id: uploadId,
      tenantId,
      status: 'processing',
      files: { productCsv: { name: files.productCsv!.filename, bytes: files.productCsv!.bytes }, optionCsv: { name: files.optionCsv!.filename, bytes: files.optionCsv!.bytes } },
      progress: { file: null, rows: 0, bytes: 0, totalBytes, percent: 0 },
      report: null,
      version: null,
      createdAt: new Date(),
      finishedAt: null,
    });
    await deps.temporal.workflow.start('catalogImportWorkflow', {
      workflowId: catalogWorkflowId(tenantId, uploadId),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ tenantId, uploadId }],
      typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
    });
    ctx.status = 202;
    ctx.body = { uploadId };
  });

  router.get('/uploads/:uploadId', async (ctx) => {
    const parsed = uploadParams.safeParse(ctx.params);
    if (!parsed.success) throw notFound('アップロードが見つかりません。');
    const upload = await catalogUploads(db).findOne({ _id: parsed.data.uploadId, tenantId: tenantIdOf(ctx) });
    if (!upload) throw notFound('アップロードが見つかりません。');
    ctx.body = { uploadId: upload._id, status: upload.status, progress: upload.progress, report: upload.report, createdAt: upload.createdAt, finishedAt: upload.finishedAt };
  });

  router.get('/', async (ctx) => {
    const tenantId = tenantIdOf(ctx);
    const active = await catalogActive(db).findOne({ _id: tenantId });
    if (!active) throw notFound('有効なカタログはまだありません。商品データCSVとオプションデータCSVをアップロードしてください。');
    const upload = await catalogUploads(db).findOne({ _id: active.uploadId, tenantId });
    const r = upload?.report;
    ctx.body = {
      version: active.version,
      uploadId: active.uploadId,
      activatedAt: active.activatedAt,
      counts: r
        ? { productRows: r.productRows, optionRows: r.optionRows, stockItems: r.stockItems, matched: r.matched, unmatched: r.unmatched, conflicts: r.conflicts, unlimited: r.unlimited }
        : null,
    };
  });

  router.get('/items', async (ctx) => {
    const tenantId = tenantIdOf(ctx);
    const { status, page, limit } = itemsQuery.parse(ctx.query);
    const version = await activeCatalogVersion(db, tenantId);
    if (version === null) throw notFound('有効なカタログはまだありません。');
    const filter = { tenantId, version, ...(status && { status }) };
    const [items, total] = await Promise.all([
      catalogItems(db).find(filter).sort({ source: -1, line: 1 }).skip((page - 1) * limit).limit(limit).toArray(),
      catalogItems(db).countDocuments(filter),
    ]);
    ctx.body = {
      page,
      limit,
      total,
      items: items.map((i) => ({
        source: i.source,
        code: i.source === 'option' ? i.optionCode : i.customCode,
        systemCode: i.systemCode,
        customCode: i.customCode,
        ...(i.source === 'option' && { optionCode: i.optionCode }),
        jan: i.jan,
        name: i.name,
        quantity: i.quantity,
        status: i.status,
        smaregiProductCode: i.smaregiProductCode,
        conflictReasons: i.conflictReasons,
        line: i.line,
      })),
    };
  });

  return router;
}

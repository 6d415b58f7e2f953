import Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { CATALOG_FILE_LABEL, type CatalogFile, type CatalogUploadReport, type MatchStatus } from '../../domain/catalog';
import { catalogActive, countCatalogItems, listCatalogItems, type CatalogItemDoc } from '../../storage/catalog-items';
import {
  allocateCatalogVersion,
  catalogFileBucket,
  deleteStoredFiles,
  findCatalogUpload,
  finishCatalogUpload,
  insertCatalogUpload,
  processingUploadsBefore,
  type CatalogUploadDoc,
  type StoredCatalogFile,
} from '../../storage/catalog-uploads';
import { startCatalogImportWorkflow } from '../../temporal/tenant-workflows';
import { catalogWorkflowId } from '../../workflows/messages';
import type { AppDeps } from '../deps';
import { HttpError, badRequest, notFound } from '../errors';
import { receiveFiles, discardAll, type FileSink } from '../multipart';
import { documentedRoute } from '../openapi';
import { pageParams, parseRequest } from '../validation';
import { tenantIdOf } from './tenant-context';
import { currentTenant } from './merchant-tenant';
import { linkedContractOf } from './smaregi';

const FILES: readonly CatalogFile[] = ['productCsv', 'optionCsv'];
const STATUSES = ['matched', 'unmatched', 'conflict', 'unlimited'] as const satisfies readonly MatchStatus[];

const itemsQuery = z.object({
  status: z.enum(STATUSES, { error: `status は ${STATUSES.join('、')} のいずれかを指定してください。` }).optional(),
  ...pageParams({ maxLimit: 200, defaultLimit: 50 }),
});
const uploadIdParam = z.object({ uploadId: z.string().regex(/^up_[0-9a-f]{24}$/) });

const issueSchema = z.object({ file: z.enum(FILES), line: z.number().int(), message: z.string() });
const countsSchema = z.object({
  productRows: z.number().int(),
  optionRows: z.number().int(),
  stockItems: z.number().int(),
  matched: z.number().int(),
  unmatched: z.number().int(),
  conflicts: z.number().int(),
  unlimited: z.number().int(),
});
const uploadAnswer = z.object({
  uploadId: z.string(),
  status: z.enum(['processing', 'succeeded', 'failed']),
  version: z.number().int(),
  progress: z.object({
    phase: z.enum(['queued', 'smaregi', 'checking', 'writing', 'activating', 'done']),
    pass: z.number().int().describe('1 = the pass over both files (checking, matching and storing); 0 before it'),
    file: z.enum(FILES).nullable(),
    rows: z.number().int(),
    bytes: z.number().int(),
    totalBytes: z.number().int().describe('the size of the pair'),
    percent: z.number().int(),
    smaregiProducts: z.number().int(),
  }),
  report: countsSchema
    .extend({ errors: z.array(issueSchema).describe('the first 1,000'), errorCount: z.number().int(), unmatchedSmaregiProducts: z.number().int() })
    .nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
const catalogAnswer = z.object({ version: z.number().int(), uploadId: z.string(), activatedAt: z.string(), counts: countsSchema });
const itemAnswer = z.object({
  source: z.enum(['product', 'option']),
  code: z.string().describe('独自商品コード, or オプション独自コード for an option row'),
  systemCode: z.string(),
  customCode: z.string(),
  optionCode: z.string().optional(),
  jan: z.string(),
  name: z.string(),
  quantity: z.number().int().nullable().describe('null: stock not managed (unlimited)'),
  status: z.enum(STATUSES),
  smaregiProductCode: z.string().nullable(),
  conflictReasons: z.array(z.string()),
  line: z.number().int(),
});
const itemsAnswer = z.object({ items: z.array(itemAnswer), page: z.number().int(), limit: z.number().int(), total: z.number().int() });

/** Step 5: upload the MakeShop CSV pair, follow its import, read the active catalog. Behind merchant auth. */
export function catalogRoutes(deps: AppDeps): Router {
  const router = new Router();
  const tags = ['catalog'];
  documentedRoute(
    router,
    {
      method: 'post',
      path: '/api/v1/catalog/uploads',
      summary: 'Upload 商品データCSV and オプションデータCSV together; imported in the background',
      tags,
      requestContentType: 'multipart/form-data',
      request: z.object({ productCsv: z.string().describe('商品データCSV (file)'), optionCsv: z.string().describe('オプションデータCSV (file)') }),
      status: 202,
      response: z.object({ uploadId: z.string() }),
    },
    (ctx) => receiveUpload(deps, ctx),
  );
  documentedRoute(
    router,
    { method: 'get', path: '/api/v1/catalog/uploads/{uploadId}', summary: "An upload's progress and report", tags, response: uploadAnswer },
    async (ctx) => {
      const params = uploadIdParam.safeParse(ctx.params);
      const upload = params.success ? await findCatalogUpload(deps.db, tenantIdOf(ctx), params.data.uploadId) : null;
      if (!upload) throw notFound('アップロードが見つかりません。');
      ctx.body = uploadView(upload);
    },
  );
  documentedRoute(router, { method: 'get', path: '/api/v1/catalog', summary: 'The active catalog', tags, response: catalogAnswer }, async (ctx) => {
    const { active, counts } = await activeCatalog(deps.db, tenantIdOf(ctx));
    ctx.body = { version: active.version, uploadId: active.uploadId, activatedAt: active.activatedAt, counts };
  });
  documentedRoute(
    router,
    { method: 'get', path: '/api/v1/catalog/items', summary: 'Items of the active catalog, by match status, a page at a time', tags, query: itemsQuery, response: itemsAnswer },
    async (ctx) => {
      const { status, page, limit } = parseRequest(itemsQuery, ctx.query);
      const tenantId = tenantIdOf(ctx);
      const { active, counts } = await activeCatalog(deps.db, tenantId);
      const found = await listCatalogItems(deps.db, { tenantId, version: active.version, status, page, limit });
      ctx.body = { items: found.items.map(itemView), page, limit, total: totalOf(counts, status) };
    },
  );
  return router;
}

async function receiveUpload(deps: AppDeps, ctx: Context): Promise<void> {
  const tenantId = tenantIdOf(ctx);
  // Matching reads the contract's products: nothing to match against before it is linked.
  linkedContractOf(await currentTenant(deps, ctx));
  const { db, config, temporal } = deps;
  const uploadId = `up_${randomBytes(12).toString('hex')}`;
  const maxFileBytes = config.CATALOG_MAX_FILE_BYTES;
  const files = await receiveFiles(ctx.req, {
    fields: FILES,
    maxFileBytes,
    openSink: (field, filename) => gridFsSink(db, filename, { tenantId, uploadId, field }),
    tooLarge: (field) =>
      new HttpError(
        413,
        'file_too_large',
        `${CATALOG_FILE_LABEL[field]}が大きすぎます。1ファイル${formatBytes(maxFileBytes)}までアップロードできます（このファイルは上限を超えているため、保存していません）。`,
        { file: field, maxBytes: maxFileBytes },
      ),
  });
  const { productCsv, optionCsv } = files;
  if (!productCsv || !optionCsv || productCsv.bytes === 0 || optionCsv.bytes === 0) {
    await discardAll(files);
    throw missingFiles(files);
  }

  const version = await allocateCatalogVersion(db, tenantId);
  const stored = (file: typeof productCsv) => ({ fileId: file.sink.fileId, name: file.filename, bytes: file.bytes });
  const upload = { _id: uploadId, tenantId, version, files: { productCsv: stored(productCsv), optionCsv: stored(optionCsv) }, createdAt: new Date() };
  try {
    await insertCatalogUpload(db, upload);
    // Ids only: the files stay in GridFS and the activity reads them from there.
    await startCatalogImportWorkflow(temporal, config.TEMPORAL_CATALOG_TASK_QUEUE, { tenantId, uploadId });
  } catch (err) {
    await finishCatalogUpload(db, uploadId, { status: 'failed', error: 'internal' }, new Date()).catch(() => undefined);
    await discardAll(files);
    throw err;
  }
  deps.logger.info({ tenantId, uploadId, version, bytes: productCsv.bytes + optionCsv.bytes }, 'catalog upload received');
  await cancelSupersededImports(deps, tenantId, version);
  ctx.status = 202;
  ctx.body = { uploadId };
}

/**
 * One import at a time per tenant: the newer upload supersedes any still running. Cancelled imports
 * stop writing, mark their upload superseded and purge their items; one that cannot be cancelled now
 * is still refused at activation (a newer version exists).
 */
async function cancelSupersededImports(deps: AppDeps, tenantId: string, version: number): Promise<void> {
  for (const older of await processingUploadsBefore(deps.db, tenantId, version)) {
    await deps.temporal.workflow
      .getHandle(catalogWorkflowId(tenantId, older._id))
      .cancel()
      .catch((err: unknown) => deps.logger.warn({ err, tenantId, uploadId: older._id }, 'could not cancel a superseded catalog import'));
  }
}

type GridFsSink = FileSink & { fileId: StoredCatalogFile['fileId'] };

function gridFsSink(db: Db, filename: string, metadata: { tenantId: string; uploadId: string; field: CatalogFile }): GridFsSink {
  const upload = catalogFileBucket(db).openUploadStream(filename, { metadata });
  return {
    stream: upload,
    fileId: upload.id,
    async discard() {
      await upload.abort().catch(() => undefined); // fails only when already finished or aborted
      await deleteStoredFiles(db, [upload.id]);
    },
  };
}

function missingFiles(files: Partial<Record<CatalogFile, { bytes: number }>>): HttpError {
  const missing = FILES.filter((f) => files[f] === undefined);
  if (missing.length > 0) {
    return badRequest(
      'both_files_required',
      `商品データCSVとオプションデータCSVの両方をアップロードしてください（${missing.map((f) => CATALOG_FILE_LABEL[f]).join('と')}が選択されていません）。`,
      { missing },
    );
  }
  const empty = FILES.filter((f) => files[f]?.bytes === 0);
  return badRequest('empty_file', `${empty.map((f) => CATALOG_FILE_LABEL[f]).join('と')}が空です（0バイト）。MakeShopからダウンロードしたCSVを選択してください。`, { empty });
}

function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  if (mb >= 1) return `${Number.isInteger(mb) ? mb : mb.toFixed(1)}MB`;
  return `${Math.max(1, Math.floor(bytes / 1024))}KB`;
}

/** Counts come from the import's report: counting a 400k-item version on every page would read all of it. */
async function activeCatalog(db: Db, tenantId: string) {
  const active = await catalogActive(db).findOne({ _id: tenantId });
  if (!active) {
    throw new HttpError(404, 'no_catalog', '有効な商品データはまだありません。商品データCSVとオプションデータCSVを一緒にアップロードしてください。');
  }
  const report = (await findCatalogUpload(db, tenantId, active.uploadId))?.report;
  // A catalog put in place without an upload (an operator, a migration) has no report to read.
  const counts = report ? countsOf(report) : { productRows: 0, optionRows: 0, ...(await countCatalogItems(db, tenantId, active.version)) };
  return { active, counts };
}

function uploadView(upload: CatalogUploadDoc) {
  return {
    uploadId: upload._id,
    status: upload.status,
    version: upload.version,
    progress: upload.progress,
    report: upload.report,
    error: upload.error,
    createdAt: upload.createdAt,
    finishedAt: upload.finishedAt,
  };
}

type CatalogCounts = ReturnType<typeof countsOf>;

function countsOf(report: CatalogUploadReport) {
  const { productRows, optionRows, stockItems, matched, unmatched, conflicts, unlimited } = report;
  return { productRows, optionRows, stockItems, matched, unmatched, conflicts, unlimited };
}

function totalOf(counts: CatalogCounts, status: MatchStatus | undefined): number {
  switch (status) {
    case undefined:
      return counts.stockItems;
    case 'conflict':
      return counts.conflicts;
    default:
      return counts[status];
  }
}

function itemView(item: CatalogItemDoc) {
  return {
    source: item.source,
    code: item.source === 'option' ? item.optionCode : item.customCode,
    systemCode: item.systemCode,
    customCode: item.customCode,
    ...(item.source === 'option' && { optionCode: item.optionCode }),
    jan: item.jan,
    name: item.name,
    quantity: item.quantity,
    status: item.status,
    smaregiProductCode: item.smaregiProductCode,
    conflictReasons: [...item.conflictReasons],
    line: item.line,
  };
}

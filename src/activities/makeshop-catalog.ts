import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { writeMakeshopCatalogPair } from '../catalog/makeshop-pair';
import { MAKESHOP_CATALOG_FAILURE_TYPE } from '../domain/catalog-upload';
import type { Logger } from '../lib/logger';
import { PlatformError } from '../platforms/http';
import type { MakeshopAppsClient } from '../platforms/makeshop/apps-client';
import { catalogFileBucket, deleteStoredFiles, findCatalogUpload, setUploadFileSizes } from '../storage/catalog-uploads';
import type { TenantSettingsPort } from '../sync/ports';
import type { UploadRef } from './catalog';

export interface MakeshopCatalogActivityDeps {
  db: Db;
  logger: Logger;
  tenants: Pick<TenantSettingsPort, 'makeshopConnection'>;
  makeshopApps: Pick<MakeshopAppsClient, 'listCatalog'>;
}

/**
 * `POST /catalog/imports {source:"makeshop"}`: the catalog is read from MakeShop (searchProduct +
 * searchProductQuantity) into the upload's two files, then imported like an uploaded pair.
 */
export function createMakeshopCatalogActivities(deps: MakeshopCatalogActivityDeps) {
  const { db, logger } = deps;
  return {
    async fetchMakeshopCatalog(ref: UploadRef): Promise<{ products: number; variations: number }> {
      const upload = await findCatalogUpload(db, ref.tenantId, ref.uploadId);
      if (!upload) throw ApplicationFailure.nonRetryable(`catalog upload ${ref.uploadId} of tenant ${ref.tenantId} does not exist`, 'upload_missing');
      const conn = await deps.tenants.makeshopConnection(ref.tenantId);
      if (conn?.mode !== 'apps') {
        throw ApplicationFailure.create({ message: 'the tenant has no linked makeshop apps installation', type: MAKESHOP_CATALOG_FAILURE_TYPE, nonRetryable: true });
      }
      const { productCsv, optionCsv } = upload.files;
      // A retry starts the files over: an earlier attempt may have left one half written.
      await deleteStoredFiles(db, [productCsv.fileId, optionCsv.fileId]);
      const bucket = catalogFileBucket(db);
      const metadata = { tenantId: ref.tenantId, uploadId: ref.uploadId, source: 'makeshop' };
      const sinks = {
        productCsv: bucket.openUploadStreamWithId(productCsv.fileId, productCsv.name, { metadata: { ...metadata, field: 'productCsv' } }),
        optionCsv: bucket.openUploadStreamWithId(optionCsv.fileId, optionCsv.name, { metadata: { ...metadata, field: 'optionCsv' } }),
      };
      let counts;
      try {
        counts = await writeMakeshopCatalogPair(deps.makeshopApps.listCatalog(conn), sinks, (soFar) => heartbeat(soFar));
      } catch (err) {
        await Promise.all([sinks.productCsv.abort().catch(() => undefined), sinks.optionCsv.abort().catch(() => undefined)]);
        if (err instanceof PlatformError) {
          throw ApplicationFailure.create({ message: err.message, type: MAKESHOP_CATALOG_FAILURE_TYPE, nonRetryable: !err.retryable, nextRetryDelay: err.details.retryAfterMs });
        }
        throw err;
      }
      await setUploadFileSizes(db, ref.uploadId, { productCsv: sinks.productCsv.length, optionCsv: sinks.optionCsv.length });
      logger.info({ ...ref, ...counts }, 'catalog read from MakeShop');
      return counts;
    },
  };
}

export type MakeshopCatalogActivities = ReturnType<typeof createMakeshopCatalogActivities>;

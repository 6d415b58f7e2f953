export { CatalogFileError, type CatalogFileErrorCode } from './errors';
export { CatalogTextDecoder, decodeCatalogText, type CatalogEncoding } from './decode';
export { readCsvRecords, type CatalogFileSource, type CsvRecord } from './csv-records';
export { classifyHeader, normaliseHeaderName, type CsvKind } from './headers';
export { checkCatalogHeaders, type CatalogLayouts } from './pair-headers';
export { parseQuantity, readCatalogPair, type CatalogLimits, type CatalogProgress, type ReadCatalogOptions } from './parse';
export { importCatalogPair, type CatalogImportResult, type ImportCatalogOptions } from './import';
export { bytesSource, fileSource } from './sources';

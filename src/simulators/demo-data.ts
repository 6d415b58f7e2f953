/**
 * Seed data for the embedded demo (`npm start`): one Smaregi contract and one MakeShop shop whose
 * catalogs overlap the way a real merchant's do. Most items match by code, a few by JAN, a few on
 * each side do not match at all, and one MakeShop item has unmanaged (unlimited) stock.
 */
export const DEMO_CONTRACT_ID = 'sb_demo0001';
export const DEMO_SHOP_ID = 'demoshop';

export interface DemoSmaregiContract {
  contractId: string;
  stores: { storeId: string; storeName: string }[];
  products: { productCode: string; productName: string }[];
  stock: { storeId: string; productCode: string; amount: number }[];
}

export interface DemoMakeshopShop {
  shopId: string;
  accountId: string;
  password: string;
  orderAuthCode: string;
  products: {
    systemCode: string;
    customCode: string;
    name: string;
    jan: string;
    quantity: number | null;
    optionNames?: string[];
  }[];
  options: { systemCode: string; optionCode: string; option1: string; option2: string; jan: string; quantity: number | null }[];
}

const STORES = [
  { storeId: '1', storeName: '渋谷本店' },
  { storeId: '2', storeName: '梅田店' },
  { storeId: '3', storeName: '倉庫' },
];

const ITEM_NAMES = ['Tシャツ', 'パーカー', 'キャップ', 'トートバッグ', 'マグカップ', 'ソックス', 'タオル', 'ノート', 'ペン', 'ステッカー'];

/** Deterministic pseudo-random stock so every demo starts the same. */
function amountFor(i: number, store: number): number {
  return (i * 7 + store * 13) % 23;
}

function janFor(i: number): string {
  const body = `490000000${String(i).padStart(3, '0')}`;
  let sum = 0;
  for (let k = 0; k < 12; k++) sum += Number(body[k]) * (k % 2 === 0 ? 1 : 3);
  return body + String((10 - (sum % 10)) % 10);
}

export function demoSmaregiContract(): DemoSmaregiContract {
  const products: DemoSmaregiContract['products'] = [];
  for (let i = 1; i <= 40; i++) {
    products.push({ productCode: `ZS-${String(i).padStart(3, '0')}`, productName: `${ITEM_NAMES[i % 10]} ${i}` });
  }
  // Matched through the MakeShop item's JAN code rather than its 独自商品コード.
  for (let i = 41; i <= 44; i++) products.push({ productCode: janFor(i), productName: `JAN商品 ${i}` });
  // The four option rows of the demo hoodie (SH-100).
  for (const c of ['SH-100-BK-M', 'SH-100-BK-L', 'SH-100-WH-M', 'SH-100-WH-L']) {
    products.push({ productCode: c, productName: `パーカー ${c.slice(7)}` });
  }
  // POS-only products: nothing on MakeShop matches them.
  products.push({ productCode: 'POS-ONLY-1', productName: '店頭限定 1' });
  products.push({ productCode: 'POS-ONLY-2', productName: '店頭限定 2' });
  const stock = products.flatMap((p, i) =>
    STORES.map((s, si) => ({ storeId: s.storeId, productCode: p.productCode, amount: amountFor(i + 1, si + 1) })),
  );
  return { contractId: DEMO_CONTRACT_ID, stores: STORES, products, stock };
}

export function demoMakeshopShop(): DemoMakeshopShop {
  const products: DemoMakeshopShop['products'] = [];
  for (let i = 1; i <= 40; i++) {
    products.push({
      systemCode: String(i).padStart(12, '0'),
      customCode: `ZS-${String(i).padStart(3, '0')}`,
      name: `${ITEM_NAMES[i % 10]} ${i}`,
      jan: '',
      quantity: 5,
    });
  }
  for (let i = 41; i <= 44; i++) {
    products.push({ systemCode: String(i).padStart(12, '0'), customCode: `WEB-${i}`, name: `JAN商品 ${i}`, jan: janFor(i), quantity: 5 });
  }
  products.push({ systemCode: '000000000100', customCode: 'SH-100', name: 'パーカー', jan: '', quantity: 0, optionNames: ['カラー', 'サイズ'] });
  // Web-only products: nothing in Smaregi matches them.
  products.push({ systemCode: '000000000201', customCode: 'WEB-ONLY-1', name: 'オンライン限定 1', jan: '', quantity: 3 });
  products.push({ systemCode: '000000000202', customCode: 'WEB-ONLY-2', name: 'オンライン限定 2', jan: '', quantity: 3 });
  // Stock not managed in MakeShop (数量 empty): listed, never pushed.
  products.push({ systemCode: '000000000301', customCode: 'GIFT-WRAP', name: 'ギフトラッピング', jan: '', quantity: null });
  const options = [
    ['BK', 'M', 'ブラック'],
    ['BK', 'L', 'ブラック'],
    ['WH', 'M', 'ホワイト'],
    ['WH', 'L', 'ホワイト'],
  ].map(([color, size, colorName]) => ({
    systemCode: '000000000100',
    optionCode: `SH-100-${color}-${size}`,
    option1: colorName!,
    option2: size!,
    jan: '',
    quantity: 2,
  }));
  return {
    shopId: DEMO_SHOP_ID,
    accountId: 'demo-admin',
    password: 'demo-pass-01',
    orderAuthCode: 'demo-order-auth-code',
    products,
    options,
  };
}

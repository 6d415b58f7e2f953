/**
 * Header names of MakeShop's bulk-registration CSV formats (reference makeshop-api.md §7),
 * spelled exactly as the admin screen downloads them (test/fixtures/makeshop-samples). Headers vary by
 * era and character width (e.g. オプション１名称 full-width vs オプション1項目 half-width), so
 * parsers should NFKC-normalise both sides and match by name, not by position.
 */

/** 商品データCSV (商品一括登録), 79 columns, newest layout seen (2021). 数量 is column 16. */
export const PRODUCT_CSV_COLUMNS = [
  '商品特定コード指定', // 1
  '更新時間フラグ', // 2
  'システム商品コード', // 3
  '独自商品コード', // 4
  'カテゴリー識別コード', // 5
  'カテゴリーパス', // 6
  '商品名', // 7
  '重量', // 8
  '販売価格', // 9
  '定価', // 10
  'ポイント', // 11
  '仕入価格', // 12
  '製造元', // 13
  '原産地', // 14
  '原産地表示フラグ', // 15
  '数量', // 16
  '数量表示フラグ', // 17
  '最小注文限度数', // 18
  '最大注文限度数', // 19
  '陳列位置', // 20
  '送料個別設定', // 21
  '掲載開始日指定フラグ', // 22
  '掲載開始日', // 23
  '掲載終了日指定フラグ', // 24
  '掲載終了日', // 25
  '掲載期間外表示可否', // 26
  '割引使用フラグ', // 27
  '割引率', // 28
  '割引期間', // 29
  '商品グループ', // 30
  '商品検索語', // 31
  '商品別特殊表示', // 32
  'オプション１名称', // 33
  'オプション２名称', // 34
  'オプショングループ', // 35
  '拡大画像名', // 36
  '普通画像名', // 37
  '縮小画像名', // 38
  '追加商品画像1', // 39
  '画像説明文1', // 40
  '追加商品画像2', // 41
  '画像説明文2', // 42
  '追加商品画像3', // 43
  '画像説明文3', // 44
  'レイアウト指定', // 45
  'PC用メイン商品説明文', // 46
  'JANコード', // 47
  '商品表示可否', // 48
  '商品状態フラグ', // 49
  'データ用商品名', // 50
  'データ用詳細内容', // 51
  'オプションの表示形式', // 52
  'ISBNコード', // 53
  'ブランド名', // 54
  'MPN(メーカー型番)', // 55
  'Googleショッピングカテゴリー', // 56
  '性別', // 57
  '年齢層', // 58
  '色', // 59
  'サイズ', // 60
  '素材', // 61
  '柄', // 62
  '商品グループID', // 63
  'アドワーズ用グループ', // 64
  'アドワーズ用ラベル', // 65
  '商品ページURL', // 66
  '商品カテゴリー用商品説明文', // 67
  '商品カテゴリー用商品説明文表示可否', // 68
  '備考欄表示テキスト指定', // 69
  'スマホ商品説明1', // 70
  'スマホ商品説明2', // 71
  '再入荷お知らせ', // 72
  '決済グループ', // 73
  'PC用追加説明文', // 74
  '名入れグループ', // 75
  '消費税率', // 76
  '軽減税率対象', // 77
  'ブラウザータイトル', // 78
  'メタタグ：Description', // 79
] as const;

/** Columns the 2020 layout lacks (§7.2: columns 26, 78 and 79). */
const COLUMNS_MISSING_FROM_76: readonly string[] = ['掲載期間外表示可否', 'ブラウザータイトル', 'メタタグ：Description'];

/** 商品データCSV, 76-column 2020 layout: the 79 columns without 26, 78 and 79. 数量 is still column 16. */
export const PRODUCT_CSV_COLUMNS_76: readonly string[] = PRODUCT_CSV_COLUMNS.filter(
  (column) => !COLUMNS_MISSING_FROM_76.includes(column),
);

/** オプションデータCSV (オプション一括登録), 12 columns. 数量 is column 11. */
export const OPTION_CSV_COLUMNS = [
  '商品特定コード指定', // 1
  'オプション特定コード指定', // 2
  'システム商品コード', // 3
  '独自商品コード', // 4
  '商品名', // 5
  '商品カテゴリーパス', // 6
  'オプション独自コード', // 7
  'オプション1項目', // 8
  'オプション2項目', // 9
  '販売価格', // 10
  '数量', // 11
  'JANコード', // 12
] as const;

/**
 * オプションデータCSV, older 13-column layout (§7.3): カテゴリ名 + サブカテゴリ名 instead of
 * 商品カテゴリーパス, and full-width digits in オプション１項目 / オプション２項目.
 */
export const OPTION_CSV_COLUMNS_13 = [
  '商品特定コード指定', // 1
  'オプション特定コード指定', // 2
  'システム商品コード', // 3
  '独自商品コード', // 4
  '商品名', // 5
  'カテゴリ名', // 6
  'サブカテゴリ名', // 7
  'オプション独自コード', // 8
  'オプション１項目', // 9
  'オプション２項目', // 10
  '販売価格', // 11
  '数量', // 12
  'JANコード', // 13
] as const;

/** 商品データCSV columns the service reads or writes. */
export const PRODUCT_COLUMN = {
  productKeyType: '商品特定コード指定',
  updateTimestampFlag: '更新時間フラグ',
  systemCode: 'システム商品コード',
  customCode: '独自商品コード',
  categoryPath: 'カテゴリーパス',
  name: '商品名',
  price: '販売価格',
  quantity: '数量',
  option1Name: 'オプション１名称',
  option2Name: 'オプション２名称',
  jan: 'JANコード',
  visible: '商品表示可否',
} as const satisfies Record<string, (typeof PRODUCT_CSV_COLUMNS)[number]>;

/** オプションデータCSV columns the service reads or writes (12-column spelling). */
export const OPTION_COLUMN = {
  productKeyType: '商品特定コード指定',
  optionKeyType: 'オプション特定コード指定',
  systemCode: 'システム商品コード',
  customCode: '独自商品コード',
  productName: '商品名',
  categoryPath: '商品カテゴリーパス',
  optionCode: 'オプション独自コード',
  option1: 'オプション1項目',
  option2: 'オプション2項目',
  price: '販売価格',
  quantity: '数量',
  jan: 'JANコード',
} as const satisfies Record<string, (typeof OPTION_CSV_COLUMNS)[number]>;

/** 商品特定コード指定 / オプション特定コード指定 values (§7.2, §7.3). */
export const PRODUCT_KEY_TYPE = { systemCode: '0', customCode: '1' } as const;
export const OPTION_KEY_TYPE = { optionCode: '0', optionItems: '1' } as const;

// Pure onboarding rules shared by the onboarding workflow, its activities and the api (no Node imports).
// The workflow state changes only through the reducers below; each change bumps `revision`, so the
// workflow can persist exactly the changes it has not yet written.
import type { Readiness, SyncState } from './sync';

export const STEP_KEYS = ['account', 'makeshopApplication', 'makeshopCredentials', 'orderImport', 'catalog', 'syncState'] as const;
export type StepKey = (typeof STEP_KEYS)[number];
export type StepStatus = 'todo' | 'waiting' | 'done';
export type StepStatuses = Record<StepKey, StepStatus>;
/** The OnboardingStep search attribute: the first open step, or `done`. */
export type NextStep = StepKey | 'done';

/** MakeShop's rule for the main admin password (DESIGN §1, step 3). */
export const MAKESHOP_PASSWORD_MAX_LENGTH = 12;
/** An application waiting this long for the operator is reported (DESIGN: review takes days to a week). */
export const APPLICATION_REPORT_AFTER_MS = 7 * 24 * 60 * 60 * 1000;

/** Step 2's form as the merchant filled it in (nothing secret). */
export interface MakeshopApplicationForm {
  shopName: string;
  userName: string;
  shopId: string;
  /** The 適用中 domain of the shop, as an http(s) URL. */
  shopUrl: string;
}

export type MakeshopApplicationSubmission = { alreadyEnabled: true } | ({ alreadyEnabled?: false } & MakeshopApplicationForm);

/** How the shop connects to MakeShop (DESIGN §1): the makeshop apps GraphQL API, or the legacy API. */
export type MakeshopMode = 'legacy' | 'apps';

/** Step 2 on the apps path: the shop the merchant named, and the state of its app installation. */
export interface MakeshopAppsLink {
  shopId: string;
  /** Set when the installation was linked to this tenant (install + launch while logged in). */
  linkedAt: string | null;
  /** Set when MakeShop told us the app was uninstalled (the token is revoked); cleared by a new link. */
  revokedAt: string | null;
}
export type ApplicationApprover = 'operator-api' | 'temporal-ui';

/**
 * Step 1's Smaregi contract, bound only after スマレジID login proved its owner (or, for a tenant
 * created before that rule, after an operator confirmed it). Knowing a contract id proves nothing.
 */
export interface SmaregiContractLink {
  contractId: string;
  linkedAt: string;
  linkedBy: 'smaregi-id' | 'operator';
}

export interface OnboardingState {
  tenantId: string;
  revision: number;
  /** null (or absent in states from before contract linking existed) until step 1's contract is linked. */
  smaregiContract?: SmaregiContractLink | null;
  application: {
    status: 'todo' | 'waiting' | 'done';
    form: MakeshopApplicationForm | null;
    alreadyEnabled: boolean;
    /** First submission; corrections while waiting do not restart the clock. */
    waitingSince: string | null;
    submittedAt: string | null;
    approvedAt: string | null;
    approvedBy: ApplicationApprover | null;
    overdueReportedAt: string | null;
  };
  credentialsSavedAt: string | null;
  shipmentStoreId: string | null;
  stockSettingsSavedAt: string | null;
  catalog: { version: number; uploadId: string; activatedAt: string } | null;
  syncState: SyncState;
  /** Step 6 is done once the merchant first set 稼働; stopping later does not reopen onboarding. */
  firstRunningAt: string | null;
  /** Absent in states written before apps mode existed: legacy. Switching keeps the other mode's progress. */
  makeshopMode?: MakeshopMode;
  apps?: MakeshopAppsLink | null;
}

export function makeshopModeOf(state: Pick<OnboardingState, 'makeshopMode'>): MakeshopMode {
  return state.makeshopMode ?? 'legacy';
}

/** The MakeShop shop ID the merchant named in the legacy application (step 2); null before it. */
export function applicationShopIdOf(state: { application?: { form?: { shopId?: string } | null } | null } | undefined): string | null {
  return state?.application?.form?.shopId ?? null;
}

/** The linked, not revoked, apps installation's shop ID; null unless apps mode is usable now. */
export function linkedAppsShopId(state: Pick<OnboardingState, 'makeshopMode' | 'apps'>): string | null {
  const apps = state.apps;
  return makeshopModeOf(state) === 'apps' && apps && apps.linkedAt !== null && apps.revokedAt === null ? apps.shopId : null;
}

/** What GET /api/v1/onboarding and the workflow's `status` query answer (DESIGN §5). */
export interface OnboardingView {
  tenantId: string;
  makeshopMode: MakeshopMode;
  steps: { key: StepKey; status: StepStatus; detail?: string }[];
  requiredActions: { key: string; message: string }[];
  canSetRunning: boolean;
  syncState: SyncState;
}

export interface OnboardingStatus extends OnboardingView {
  revision: number;
  nextStep: NextStep;
}

/** Why an action is refused now: `code` for programs, `message` (Japanese) for the person acting. */
export interface Rejection {
  code: string;
  message: string;
}

export type OnboardingAction =
  | 'linkSmaregiContract'
  | 'submitMakeshopApplication'
  | 'chooseMakeshopApps'
  | 'approveMakeshopApplication'
  | 'saveMakeshopCredentials'
  | 'chooseShipmentStore'
  | 'saveStockSettings';

export function initialOnboardingState(tenantId: string): OnboardingState {
  return {
    tenantId,
    revision: 0,
    smaregiContract: null,
    application: {
      status: 'todo',
      form: null,
      alreadyEnabled: false,
      waitingSince: null,
      submittedAt: null,
      approvedAt: null,
      approvedBy: null,
      overdueReportedAt: null,
    },
    credentialsSavedAt: null,
    shipmentStoreId: null,
    stockSettingsSavedAt: null,
    catalog: null,
    syncState: 'stopped',
    firstRunningAt: null,
  };
}

export function stepStatuses(state: OnboardingState): StepStatuses {
  const done = (yes: boolean): StepStatus => (yes ? 'done' : 'todo');
  const apps = makeshopModeOf(state) === 'apps';
  return {
    account: done(linkedContract(state) !== null),
    // Apps: waiting for the install + launch; step 3 (credentials) is not needed.
    makeshopApplication: apps ? (linkedAppsShopId(state) ? 'done' : 'waiting') : state.application.status,
    makeshopCredentials: done(apps || state.credentialsSavedAt !== null),
    orderImport: done(state.shipmentStoreId !== null),
    catalog: done(state.catalog !== null),
    syncState: done(state.firstRunningAt !== null),
  };
}

export function linkedContract(state: OnboardingState): SmaregiContractLink | null {
  return state.smaregiContract ?? null;
}

export function nextOpenStep(state: OnboardingState): NextStep {
  const statuses = stepStatuses(state);
  return STEP_KEYS.find((key) => statuses[key] !== 'done') ?? 'done';
}

// ── ordering rules ──────────────────────────────────────────────────────────────────────────────
// Only what the platforms force is ordered: MakeShop issues the 注文データ連携認証コード (step 3) only
// after it approved the application (step 2). The shipment store (step 4), the CSV pair (step 5) and
// the stock settings need nothing from MakeShop's review, so the merchant can do them while waiting.
// 稼働 (step 6) needs steps 1–5 and the stock settings: that check is the sync workflow's (readiness).

const REJECTIONS = {
  applicationAlreadyApproved: {
    code: 'application_already_approved',
    message: 'MakeShopの外部システム連携はすでに利用できる状態です。申請内容の変更が必要な場合はサポートまでご連絡ください。',
  },
  applicationNotSubmitted: {
    code: 'application_not_submitted',
    message: 'このショップはまだMakeShop外部システム連携の利用申請を送信していません。申請の送信後に承認してください。',
  },
  applicationAlreadyDecided: {
    code: 'application_already_approved',
    message: 'この利用申請はすでに承認済みです。',
  },
  credentialsBeforeApplication: {
    code: 'application_not_submitted',
    message:
      '先にMakeShop外部システム連携の利用申請を送信してください。注文データ連携認証コードは、MakeShopの審査完了後にMakeShop管理画面で発行できます。',
  },
  credentialsBeforeApproval: {
    code: 'application_not_approved',
    message:
      'MakeShopの審査が完了してから登録してください（審査は通常数日〜1週間です）。注文データ連携認証コードは、審査完了後にMakeShop管理画面の外部システム連携で発行できます。',
  },
  otherContractLinked: {
    code: 'smaregi_contract_already_linked',
    message: 'このアカウントには別のスマレジ契約が連携されています。契約を変更する場合はサポートまでご連絡ください。',
  },
} satisfies Record<string, Rejection>;

/** A tenant keeps its contract: linking another one is an operator's decision. */
export function linkRejection(state: OnboardingState, contractId: string): Rejection | null {
  const linked = linkedContract(state);
  return linked !== null && linked.contractId !== contractId ? REJECTIONS.otherContractLinked : null;
}

/** Whether the action is allowed now; null when it is. Used by the workflow's validators and the api. */
export function rejectionFor(action: OnboardingAction, statuses: StepStatuses, mode: MakeshopMode = 'legacy'): Rejection | null {
  const application = statuses.makeshopApplication;
  switch (action) {
    case 'submitMakeshopApplication':
      // From apps mode back to legacy: allowed; an approved legacy application is simply used again.
      return mode === 'legacy' && application === 'done' ? REJECTIONS.applicationAlreadyApproved : null;
    case 'chooseMakeshopApps':
      return null;
    case 'approveMakeshopApplication':
      if (application === 'todo') return REJECTIONS.applicationNotSubmitted;
      return application === 'done' ? REJECTIONS.applicationAlreadyDecided : null;
    case 'saveMakeshopCredentials':
      if (application === 'todo') return REJECTIONS.credentialsBeforeApplication;
      return application === 'waiting' ? REJECTIONS.credentialsBeforeApproval : null;
    case 'linkSmaregiContract':
    case 'chooseShipmentStore':
    case 'saveStockSettings':
      return null;
  }
}

const MALFORMED: Rejection = { code: 'invalid_request', message: '入力内容が正しくありません。画面を再読み込みしてからやり直してください。' };
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isIsoDate = (value: unknown) => isText(value) && !Number.isNaN(Date.parse(value));

/**
 * Shape checks for update payloads. The api validates every field with zod first; these keep the state
 * sound when an update is sent some other way (Temporal UI, CLI).
 */
export function malformedPayload(action: OnboardingAction, payload: unknown): Rejection | null {
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  switch (action) {
    case 'submitMakeshopApplication':
      if (p.alreadyEnabled === true) return null;
      return ['shopName', 'userName', 'shopId', 'shopUrl'].every((key) => isText(p[key])) ? null : MALFORMED;
    case 'chooseShipmentStore':
      return isText(p.shipmentStoreId) ? null : MALFORMED;
    case 'chooseMakeshopApps':
      return isText(p.shopId) ? null : MALFORMED;
    case 'saveMakeshopCredentials':
    case 'saveStockSettings':
      return isIsoDate(p.savedAt) ? null : MALFORMED;
    case 'linkSmaregiContract':
      return isText(p.contractId) && isIsoDate(p.linkedAt) && (p.linkedBy === 'smaregi-id' || p.linkedBy === 'operator') ? null : MALFORMED;
    case 'approveMakeshopApplication':
      return null;
  }
}

// ── reducers (each returns the same object when nothing changes, so no revision is spent) ─────────

function changed(state: OnboardingState, patch: Partial<OnboardingState>): OnboardingState {
  return { ...state, ...patch, revision: state.revision + 1 };
}

export function recordSmaregiContractLinked(state: OnboardingState, link: SmaregiContractLink): OnboardingState {
  if (linkedContract(state)?.contractId === link.contractId) return state;
  return changed(state, { smaregiContract: { contractId: link.contractId, linkedAt: link.linkedAt, linkedBy: link.linkedBy } });
}

export function submitApplication(state: OnboardingState, submission: MakeshopApplicationSubmission, now: string): OnboardingState {
  const previous = state.application;
  if (makeshopModeOf(state) === 'apps' && previous.status === 'done') return changed(state, { makeshopMode: 'legacy' });
  state = makeshopModeOf(state) === 'apps' ? { ...state, makeshopMode: 'legacy' } : state;
  if (submission.alreadyEnabled === true) {
    return changed(state, {
      application: { ...previous, status: 'done', alreadyEnabled: true, submittedAt: now, approvedAt: null, approvedBy: null },
    });
  }
  const form: MakeshopApplicationForm = {
    shopName: submission.shopName,
    userName: submission.userName,
    shopId: submission.shopId,
    shopUrl: submission.shopUrl,
  };
  return changed(state, {
    application: { ...previous, status: 'waiting', form, submittedAt: now, waitingSince: previous.waitingSince ?? now },
  });
}

/**
 * Step 2, apps path: the merchant names the shop that will install the app. Choosing the linked shop again
 * changes nothing; another shop starts a new link (the old one no longer counts).
 */
export function chooseMakeshopApps(state: OnboardingState, shopId: string): OnboardingState {
  if (makeshopModeOf(state) === 'apps' && state.apps?.shopId === shopId) return state;
  const sameShop = state.apps?.shopId === shopId;
  return changed(state, { makeshopMode: 'apps', apps: sameShop && state.apps ? state.apps : { shopId, linkedAt: null, revokedAt: null } });
}

/** The installation of the named shop was linked to this tenant (launch) — also after a reinstall. */
export function recordAppsLinked(state: OnboardingState, shopId: string, now: string): OnboardingState {
  if (state.apps?.shopId !== shopId) return state;
  if (state.apps.linkedAt !== null && state.apps.revokedAt === null) return state;
  return changed(state, { apps: { shopId, linkedAt: now, revokedAt: null } });
}

/** MakeShop uninstalled the app (token revoked): step 2 waits for a reinstall + launch. */
export function recordAppsRevoked(state: OnboardingState, shopId: string, now: string): OnboardingState {
  if (state.apps?.shopId !== shopId || state.apps.revokedAt !== null) return state;
  return changed(state, { apps: { ...state.apps, revokedAt: now } });
}

export function approveApplication(state: OnboardingState, approvedBy: ApplicationApprover, now: string): OnboardingState {
  if (state.application.status !== 'waiting') return state;
  return changed(state, { application: { ...state.application, status: 'done', approvedAt: now, approvedBy } });
}

export function recordApplicationOverdue(state: OnboardingState, now: string): OnboardingState {
  if (state.application.status !== 'waiting' || state.application.overdueReportedAt !== null) return state;
  return changed(state, { application: { ...state.application, overdueReportedAt: now } });
}

export function recordCredentialsSaved(state: OnboardingState, now: string): OnboardingState {
  return changed(state, { credentialsSavedAt: now });
}

export function chooseShipmentStore(state: OnboardingState, shipmentStoreId: string): OnboardingState {
  return state.shipmentStoreId === shipmentStoreId ? state : changed(state, { shipmentStoreId });
}

export function recordStockSettingsSaved(state: OnboardingState, now: string): OnboardingState {
  return state.stockSettingsSavedAt !== null ? state : changed(state, { stockSettingsSavedAt: now });
}

/** Catalog signals may repeat or arrive out of order: only a newer version counts. */
export function recordCatalogActivated(state: OnboardingState, activation: { version: number; uploadId: string }, now: string): OnboardingState {
  if (state.catalog !== null && state.catalog.version >= activation.version) return state;
  return changed(state, { catalog: { version: activation.version, uploadId: activation.uploadId, activatedAt: now } });
}

export function recordSyncState(state: OnboardingState, syncState: SyncState, now: string): OnboardingState {
  if (state.syncState === syncState) return state;
  return changed(state, { syncState, firstRunningAt: state.firstRunningAt ?? (syncState === 'running' ? now : null) });
}

/** When the waiting application is due to be reported (epoch ms), or null when nothing is due. */
export function applicationReportDueAt(state: OnboardingState, reportAfterMs: number): number | null {
  const { status, waitingSince, overdueReportedAt } = state.application;
  if (status !== 'waiting' || waitingSince === null || overdueReportedAt !== null) return null;
  return Date.parse(waitingSince) + reportAfterMs;
}

// ── what the merchant sees ──────────────────────────────────────────────────────────────────────

const REQUIRED_ACTION_MESSAGES = {
  account: 'スマレジIDでログインして、スマレジの契約を連携してください（アプリ利用登録）。',
  makeshopApplication: 'MakeShop外部システム連携の利用申請を送信してください。',
  makeshopApplicationWaiting: 'MakeShopによる外部システム連携の審査完了をお待ちください（通常数日〜1週間）。',
  makeshopCredentials: 'MakeShopの主管理者ID・パスワード・注文データ連携認証コードを登録してください。',
  orderImport: '出荷元のスマレジ店舗を選択し、表示される更新通知APIのURLをMakeShopに設定してください。',
  catalog: 'MakeShopの商品データCSVとオプションデータCSVを一緒にアップロードしてください。',
  stockSettings: '在庫を合計するスマレジの店舗を在庫連携設定で選択してください。',
  appsInstall: 'MakeShopの管理画面で在庫連携アプリをインストールし、このページにログインしたまま管理画面からアプリを開いてください。',
  appsRevoked: 'MakeShopアプリがアンインストールされました。アプリを再インストールし、このページにログインしたまま管理画面からアプリを開いてください。',
  appsOrderImport: '注文を出荷するスマレジの店舗を選択してください。',
} as const;

/** What 稼働 needs: steps 1–5 done and the stock stores selected. `missing` is the merchant's checklist. */
export function readinessOf(state: OnboardingState): Readiness {
  const statuses = stepStatuses(state);
  const missing: Readiness['missing'] = [];
  if (statuses.account !== 'done') missing.push({ key: 'account', message: REQUIRED_ACTION_MESSAGES.account });
  if (makeshopModeOf(state) === 'apps') return appsReadiness(state, statuses, missing);
  if (statuses.makeshopApplication === 'todo') missing.push({ key: 'makeshopApplication', message: REQUIRED_ACTION_MESSAGES.makeshopApplication });
  if (statuses.makeshopApplication === 'waiting') {
    missing.push({ key: 'makeshopApplication', message: REQUIRED_ACTION_MESSAGES.makeshopApplicationWaiting });
  }
  for (const key of ['makeshopCredentials', 'orderImport', 'catalog'] as const) {
    if (statuses[key] !== 'done') missing.push({ key, message: REQUIRED_ACTION_MESSAGES[key] });
  }
  if (state.stockSettingsSavedAt === null) missing.push({ key: 'stockSettings', message: REQUIRED_ACTION_MESSAGES.stockSettings });
  return { ready: missing.length === 0, missing };
}

function appsReadiness(state: OnboardingState, statuses: StepStatuses, missing: Readiness['missing']): Readiness {
  if (statuses.makeshopApplication !== 'done') {
    missing.push({ key: 'makeshopApplication', message: state.apps?.revokedAt ? REQUIRED_ACTION_MESSAGES.appsRevoked : REQUIRED_ACTION_MESSAGES.appsInstall });
  }
  if (statuses.orderImport !== 'done') missing.push({ key: 'orderImport', message: REQUIRED_ACTION_MESSAGES.appsOrderImport });
  if (statuses.catalog !== 'done') missing.push({ key: 'catalog', message: REQUIRED_ACTION_MESSAGES.catalog });
  if (state.stockSettingsSavedAt === null) missing.push({ key: 'stockSettings', message: REQUIRED_ACTION_MESSAGES.stockSettings });
  return { ready: missing.length === 0, missing };
}

/** Step details on the apps path (steps 2–4 differ; the rest are shared). */
function appsStepDetail(state: OnboardingState, key: StepKey): string | undefined | null {
  const apps = state.apps;
  switch (key) {
    case 'makeshopApplication':
      if (!apps) return undefined;
      if (apps.revokedAt) return `ショップID ${apps.shopId}: MakeShopアプリがアンインストールされました（${apps.revokedAt}）。再インストールしてアプリを開いてください`;
      if (apps.linkedAt) return `makeshopアプリで連携済み（ショップID ${apps.shopId}、${apps.linkedAt}）`;
      return `ショップID ${apps.shopId}: MakeShop管理画面でアプリをインストールし、ログインしたまま管理画面からアプリを開いてください`;
    case 'makeshopCredentials':
      return '不要（makeshopアプリで連携）';
    case 'orderImport':
      return `${state.shipmentStoreId ? `出荷元店舗ID: ${state.shipmentStoreId}` : '出荷元店舗を選択してください'}（更新通知の設定は不要）`;
    default:
      return null;
  }
}

function stepDetail(state: OnboardingState, key: StepKey): string | undefined {
  const { application } = state;
  if (makeshopModeOf(state) === 'apps') {
    const detail = appsStepDetail(state, key);
    if (detail !== null) return detail;
  }
  switch (key) {
    case 'account': {
      const linked = linkedContract(state);
      if (linked === null) return 'スマレジIDでログインして、スマレジの契約を連携してください';
      return `スマレジ契約ID: ${linked.contractId}（${linked.linkedBy === 'operator' ? '運用者が確認済み' : 'スマレジIDで連携済み'}）`;
    }
    case 'makeshopApplication':
      if (application.status === 'waiting') {
        const overdue = application.overdueReportedAt ? '。審査に時間がかかっているため、担当者が確認しています' : '';
        return `MakeShopの審査待ちです（申請日時: ${application.waitingSince}）${overdue}`;
      }
      if (application.status === 'done') {
        return application.alreadyEnabled ? '外部システム連携は有効化済み（お客様による申告）' : `承認済み（${application.approvedAt}）`;
      }
      return undefined;
    case 'makeshopCredentials':
      if (state.credentialsSavedAt) return `保存済み（${state.credentialsSavedAt}）`;
      return application.status === 'done' ? undefined : 'MakeShopの審査完了後に登録できます';
    case 'orderImport':
      return state.shipmentStoreId ? `出荷元店舗ID: ${state.shipmentStoreId}` : undefined;
    case 'catalog':
      return state.catalog ? `有効な商品データ: バージョン${state.catalog.version}（${state.catalog.activatedAt}）` : undefined;
    case 'syncState':
      return state.syncState === 'running' ? '稼働中' : '停止中';
  }
}

export function describeOnboarding(state: OnboardingState): OnboardingView {
  const statuses = stepStatuses(state);
  const readiness = readinessOf(state);
  return {
    tenantId: state.tenantId,
    makeshopMode: makeshopModeOf(state),
    steps: STEP_KEYS.map((key) => {
      const detail = stepDetail(state, key);
      return { key, status: statuses[key], ...(detail !== undefined && { detail }) };
    }),
    requiredActions: readiness.missing,
    canSetRunning: readiness.ready,
    syncState: state.syncState,
  };
}

export function onboardingStatus(state: OnboardingState): OnboardingStatus {
  return { ...describeOnboarding(state), revision: state.revision, nextStep: nextOpenStep(state) };
}

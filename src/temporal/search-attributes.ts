import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes operators filter on in the Temporal UI (registered at start-up). */
export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const SyncStateKey = defineSearchAttributeKey('SyncState', SearchAttributeType.KEYWORD);
export const OnboardingStepKey = defineSearchAttributeKey('OnboardingStep', SearchAttributeType.KEYWORD);
/** Open merchant alerts of the tenant, on its sync workflow: `OpenAlerts > 0` lists the tenants that need help. */
export const OpenAlertsKey = defineSearchAttributeKey('OpenAlerts', SearchAttributeType.INT);

export const SEARCH_ATTRIBUTES = [
  { key: TenantIdKey, name: 'TenantId', cliType: 'Keyword' },
  { key: SyncStateKey, name: 'SyncState', cliType: 'Keyword' },
  { key: OnboardingStepKey, name: 'OnboardingStep', cliType: 'Keyword' },
  { key: OpenAlertsKey, name: 'OpenAlerts', cliType: 'Int' },
] as const;

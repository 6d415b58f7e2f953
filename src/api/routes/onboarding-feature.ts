import type Router from '@koa/router';
import type { AppDeps } from '../deps';
import { registerOnboardingMetrics } from '../onboarding-metrics';
import { accountRoutes } from './accounts';
import { makeshopRoutes } from './makeshop';
import { onboardingRoutes } from './onboarding';
import { openApiRoutes } from './openapi';
import { operatorRoutes } from './operator';
import { orderImportRoutes } from './order-import';
import { smaregiRoutes } from './smaregi';
import { smaregiAuthRoutes } from './smaregi-auth';
import { stockSettingsRoutes } from './stock-settings';

/** Accounts, the six set-up steps, operators and the OpenAPI document; mounted behind apiAuth. */
export function onboardingRouters(deps: AppDeps): Router[] {
  registerOnboardingMetrics(deps);
  return [
    accountRoutes(deps),
    onboardingRoutes(deps),
    makeshopRoutes(deps),
    orderImportRoutes(deps),
    smaregiRoutes(deps),
    smaregiAuthRoutes(deps),
    stockSettingsRoutes(deps),
    operatorRoutes(deps),
    openApiRoutes(deps),
  ];
}

// The workflow bundle's entry point: every workflow the worker runs is exported from here.
export { syncWorkflow } from './sync';
export { onboardingWorkflow } from './onboarding';
export { catalogImportWorkflow } from './catalog-import';
export { alertMailWorkflow } from './alert-mail';

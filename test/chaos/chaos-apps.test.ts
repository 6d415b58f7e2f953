// Chaos on the makeshop apps GraphQL API (faults on the GraphQL endpoint), orders imported as 在庫調整
// (the scenario: chaos-scenario.ts).
import { defineChaosTest } from './chaos-scenario';

defineChaosTest({ mode: 'apps', method: 'stockAdjustment', seed: 20261207 });

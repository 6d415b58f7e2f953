// Chaos on the legacy MakeShop API, orders imported as 在庫調整 (the scenario: chaos-scenario.ts).
import { defineChaosTest } from './chaos-scenario';

defineChaosTest({ mode: 'legacy', method: 'stockAdjustment', seed: 20261206 });

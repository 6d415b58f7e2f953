// Chaos on the legacy MakeShop API, orders imported as 出荷 (the scenario: chaos-scenario.ts).
import { defineChaosTest } from './chaos-scenario';

defineChaosTest({ mode: 'legacy', method: 'shipment', seed: 20261127 });

// The new-merchant journey with orders imported as 在庫調整 (new-merchant-journey.ts).
import { defineNewMerchantJourney } from './new-merchant-journey';

defineNewMerchantJourney('stockAdjustment');

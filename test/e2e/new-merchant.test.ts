// The new-merchant journey with orders imported as 出荷 (new-merchant-journey.ts).
import { defineNewMerchantJourney } from './new-merchant-journey';

defineNewMerchantJourney('shipment');

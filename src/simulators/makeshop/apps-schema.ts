import { buildSchema, type GraphQLSchema } from 'graphql';

/**
 * The part of the makeshop apps GraphQL schema (reference makeshop-api.md §9) the service uses, as the
 * simulator serves it. Production disables introspection and the SpectaQL page was not available, so
 * names and shapes come from working public clients (§9.2, §9.3). Where those are silent the choices
 * below are ASSUMPTIONS (docs/platform-assumptions.md, "makeshop apps"):
 * - the key/calculation "enums" are Int (plms sends 0/1);
 * - `variationQuantityDetails` is declared a list: GraphQL input coercion then also accepts the single
 *   object plms sends, so a client sending one object per entry works with either reading;
 * - `SearchOrderRequest.systemOrderNumbers` (look-up by number) is not in the public clients' inputs;
 * - `quantity: null` in `searchProductQuantity` means stock not managed (unlimited);
 * - the paging of `searchProductQuantity` has no `searchedCount`: a short page ends the list;
 * - `getShop` (named in a design note only) answers at least the token's `shopId`.
 * The service's client documents are validated against this schema in the tests.
 */
export const MAKESHOP_APPS_SDL = /* GraphQL */ `
  type Query {
    searchProductQuantity(input: SearchProductQuantityRequest!): SearchProductQuantityResponse!
    searchProduct(input: SearchProductRequest!): SearchProductResponse!
    searchOrder(input: SearchOrderRequest!): SearchOrderResponse!
    getShop: Shop!
  }

  type Shop {
    shopId: String!
    shopName: String
  }

  type Mutation {
    updateProductQuantity(input: UpdateProductQuantityRequest!): UpdateProductQuantityResponse!
    updateVariationQuantity(input: UpdateVariationQuantityRequest!): UpdateVariationQuantityResponse!
  }

  input SearchProductQuantityRequest {
    page: Int
    limit: Int
    systemCodes: [String!]
  }

  type SearchProductQuantityResponse {
    productQuantities: [ProductQuantity!]!
    page: Int!
    limit: Int!
  }

  type ProductQuantity {
    systemCode: String!
    customCode: String
    productName: String
    quantity: Int
    variationQuantities: [VariationQuantity!]!
  }

  type VariationQuantity {
    variationQuantity: Int
    variationCustomCode: String
  }

  input UpdateProductQuantityRequest {
    productQuantities: [ProductQuantityInput!]!
  }

  input ProductQuantityInput {
    productKeyType: Int!
    systemCode: String
    customCode: String
    quantityCalculationType: Int!
    quantity: Int!
  }

  type UpdateProductQuantityResponse {
    failResult: [ProductQuantityFailResult!]!
  }

  type ProductQuantityFailResult {
    systemCode: String
    customCode: String
    message: String
  }

  input UpdateVariationQuantityRequest {
    variationQuantities: [VariationQuantityInput!]!
  }

  input VariationQuantityInput {
    productKeyType: Int!
    systemCode: String
    customCode: String
    variationQuantityDetails: [VariationQuantityDetailInput!]!
  }

  input VariationQuantityDetailInput {
    variationKeyType: Int!
    variation1ItemId: String
    variation2ItemId: String
    variationCustomCode: String
    quantityCalculationType: Int!
    quantity: Int!
  }

  type UpdateVariationQuantityResponse {
    failResult: [VariationQuantityFailResult!]!
  }

  type VariationQuantityFailResult {
    systemCode: String
    customCode: String
    variation1ItemId: String
    variation2ItemId: String
    variationCustomCode: String
    message: String
  }

  input SearchProductRequest {
    page: Int
    limit: Int
  }

  type SearchProductResponse {
    searchedCount: Int!
    page: Int!
    limit: Int!
    products: [Product!]!
  }

  type Product {
    uid: String
    systemCode: String!
    customCode: String
    janCode: String
    productName: String
    sellPrice: Int
    maxImageUrl: String
    variationShowType: Int
    variations: [Variation!]!
    categories: [Category!]!
  }

  type Variation {
    variation1ItemName: String
    variation2ItemName: String
    productSystemCode: String
    variationCustomCode: String
    janCode: String
    subImageId: String
  }

  type Category {
    categoryName: String
  }

  input SearchOrderRequest {
    systemOrderNumbers: [String!]
    startOrderDate: String
    endOrderDate: String
    startPaymentDate: String
    endPaymentDate: String
    deliveryStatus: String
    sortOrder: String
    page: Int
    limit: Int
  }

  type SearchOrderResponse {
    searchedCount: Int!
    page: Int!
    orders: [Order!]!
  }

  type Order {
    systemOrderNumber: String!
    displayOrderNumber: String
    orderDate: String
    memberId: String
    senderName: String
    senderPrefecture: Int
    payMethod: String
    paymentStatusCode: String
    sumPrice: Int
    message: String
    deliveryInfos: [DeliveryInfo!]!
  }

  type DeliveryInfo {
    deliveryId: String
    deliveryStatus: String
    desiredDeliveryDate: String
    desiredDeliveryTimezone: String
    receiverName: String
    receiverPost: String
    receiverPrefecture: Int
    receiverAddress: String
    receiverAddress2: String
    receiverTel: String
    shippingCharge: Int
    deliverySumPrice: Int
    wmsStatus: String
    deliveryMessage: String
    deliveryMethodIds: [String!]
    slipNumber: String
    deliveryDate: String
    estimatedShipmentDate: String
    basketInfos: [BasketInfo!]!
  }

  type BasketInfo {
    productCode: String
    productCustomCode: String
    variationCustomCode: String
    productName: String
    variationName: String
    amount: Int!
    price: Int
    janCode: String
  }
`;

let schema: GraphQLSchema | undefined;

/** Built once per process. */
export function makeshopAppsSchema(): GraphQLSchema {
  schema ??= buildSchema(MAKESHOP_APPS_SDL);
  return schema;
}

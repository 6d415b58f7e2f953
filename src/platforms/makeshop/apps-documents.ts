/**
 * Every GraphQL document the makeshop apps client sends (reference makeshop-api.md §9). Field names come
 * from working public clients; the tests validate each document against the simulator's schema with
 * graphql's `validate`, so a typo cannot reach MakeShop unnoticed.
 */
export const APPS_DOCUMENTS = {
  getShop: /* GraphQL */ `
    query getShop {
      getShop {
        shopId
      }
    }
  `,
  searchProductQuantity: /* GraphQL */ `
    query searchProductQuantity($input: SearchProductQuantityRequest!) {
      searchProductQuantity(input: $input) {
        page
        limit
        productQuantities {
          systemCode
          customCode
          quantity
          variationQuantities {
            variationQuantity
            variationCustomCode
          }
        }
      }
    }
  `,
  updateProductQuantity: /* GraphQL */ `
    mutation updateProductQuantity($input: UpdateProductQuantityRequest!) {
      updateProductQuantity(input: $input) {
        failResult {
          systemCode
          customCode
          message
        }
      }
    }
  `,
  updateVariationQuantity: /* GraphQL */ `
    mutation updateVariationQuantity($input: UpdateVariationQuantityRequest!) {
      updateVariationQuantity(input: $input) {
        failResult {
          systemCode
          customCode
          variationCustomCode
          message
        }
      }
    }
  `,
  searchOrder: /* GraphQL */ `
    query searchOrder($input: SearchOrderRequest!) {
      searchOrder(input: $input) {
        searchedCount
        page
        orders {
          systemOrderNumber
          orderDate
          paymentStatusCode
          deliveryInfos {
            deliveryStatus
            basketInfos {
              productCode
              productCustomCode
              variationCustomCode
              productName
              amount
              janCode
            }
          }
        }
      }
    }
  `,
  searchProduct: /* GraphQL */ `
    query searchProduct($input: SearchProductRequest!) {
      searchProduct(input: $input) {
        searchedCount
        page
        products {
          systemCode
          customCode
          janCode
          productName
          variations {
            variation1ItemName
            variation2ItemName
            variationCustomCode
            janCode
          }
        }
      }
    }
  `,
} as const;

export type AppsOperation = keyof typeof APPS_DOCUMENTS;

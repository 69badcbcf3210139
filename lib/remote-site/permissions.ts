/**
 * How the client turns a login answer's `permissions` array into its own permissions
 * (`service/src/apis/permissions.rs`, `map_api_permissions`: index i is legacy permission number
 * i + 1; `service/src/login.rs`, `permissions_to_domain`). Numbers not listed here give nothing.
 * Every store the user may log in to also gets `StoreAccess`.
 */

/** Legacy permission number → the Open mSupply permission types it grants. */
const legacyToOmSupply: Readonly<Record<number, readonly string[]>> = {
  2: ['PurchaseOrderQuery'],
  3: ['PurchaseOrderMutate'],
  16: ['InventoryAdjustmentMutate'],
  18: ['ItemNamesCodesAndUnitsMutate'],
  26: ['InboundShipmentExternalQuery'],
  37: ['PurchaseOrderFinalise'],
  38: ['InboundShipmentMutate'],
  39: ['InboundShipmentQuery', 'SupplierReturnQuery'],
  42: ['OutboundShipmentMutate', 'PrescriptionMutate'],
  43: ['OutboundShipmentQuery', 'CustomerReturnQuery', 'PrescriptionQuery'],
  44: ['InboundShipmentExternalMutate'],
  46: ['PatientMutate'],
  49: ['CreateRepack'],
  62: ['PatientMutate'],
  63: ['Report'],
  69: ['MutateClinician'],
  76: ['LogQuery'],
  84: ['LocationMutate'],
  88: ['InboundShipmentVerify'],
  91: ['InboundShipmentExternalVerify'],
  94: ['CancelFinalisedInvoices'],
  99: ['AssetQuery'],
  109: ['StocktakeMutate'],
  111: ['StocktakeMutate'],
  112: ['StocktakeMutate'],
  113: ['StocktakeMutate'],
  114: ['StocktakeMutate'],
  121: ['OutboundShipmentMutate', 'PrescriptionMutate'],
  122: ['InboundShipmentMutate'],
  123: ['ItemMutate'],
  124: ['NamePropertiesMutate'],
  134: ['PurchaseOrderAuthorise'],
  135: ['AssetMutate'],
  136: ['AssetCatalogueItemMutate'],
  139: ['InboundShipmentExternalAuthorise'],
  147: ['StockLineMutate'],
  153: ['RequisitionQuery', 'RnrFormQuery'],
  154: ['RequisitionMutate', 'RnrFormMutate'],
  156: ['StockLineQuery', 'StocktakeQuery'],
  157: ['ServerAdmin'],
  165: ['CustomerReturnMutate'],
  168: ['SupplierReturnMutate'],
  170: ['RequisitionCreateOutboundShipment'],
  172: ['ViewAndEditVvmStatus'],
  175: ['SensorQuery'],
  176: ['SensorMutate'],
  178: ['AssetStatusMutate'],
  190: ['PatientQuery'],
  200: ['RequisitionSend'],
  201: ['ColdChainApi'],
  202: ['EditCentralData'],
  203: ['AssetMutateViaDataMatrix'],
};

/** The permission set the client stores for one store of a login answer, sorted. */
export function storePermissions(permissions: readonly boolean[]): string[] {
  const granted = new Set<string>(['StoreAccess']);
  permissions.forEach((has, index) => {
    if (has) for (const type of legacyToOmSupply[index + 1] ?? []) granted.add(type);
  });
  return [...granted].sort();
}

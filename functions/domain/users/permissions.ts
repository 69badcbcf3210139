/**
 * Legacy mSupply user permissions, as the Open mSupply client reads them from a login answer:
 * `userStores[].permissions` is an array of booleans where index i is permission number i + 1
 * (`server/service/src/apis/permissions.rs`, `map_api_permissions`). The configuration keeps the
 * granted numbers; the answer is built from them. Facts only, no I/O.
 */

/** Numbers the client knows run from 1 to 515; room is left for later ones. */
export const MAX_PERMISSION_NUMBER = 1024;

/**
 * The legacy numbers the client turns into Open mSupply permissions (`login.rs`,
 * `permissions_to_domain`); every other number is accepted and ignored by the client.
 */
export const mappedPermissions: Readonly<Record<number, string>> = {
  2: 'ViewPurchaseOrders',
  3: 'EditPurchaseOrders',
  16: 'EnterInventoryAdjustments',
  18: 'EditItemNamesCodesAndUnits',
  26: 'ViewGoodsReceived',
  37: 'FinalisePurchaseOrders',
  38: 'CreateSupplierInvoices',
  39: 'ViewSupplierInvoices',
  42: 'CreateCustomerInvoices',
  43: 'ViewCustomerInvoices',
  44: 'AddEditGoodsReceived',
  46: 'AddPatients',
  49: 'CreateRepacksOrSplitStock',
  62: 'EditPatientDetails',
  63: 'ViewReports',
  69: 'AddEditPrescribers',
  76: 'ViewLog',
  84: 'ManageLocations',
  88: 'FinaliseSupplierInvoices',
  91: 'FinaliseGoodsReceived',
  94: 'CancelFinalisedInvoices',
  99: 'ViewAssets',
  109: 'AddStocktakeLines',
  111: 'EditStocktakeLines',
  112: 'DeleteStocktakeLines',
  113: 'CreateStocktake',
  114: 'DeleteStocktake',
  121: 'EditCustomerInvoices',
  122: 'EditSupplierInvoices',
  123: 'EditItems',
  124: 'EditCustomerSupplierManufacturerNames',
  134: 'AuthorisePurchaseOrders',
  135: 'AddEditAssets',
  136: 'SetupAssets',
  139: 'AuthoriseGoodsReceived',
  147: 'EditStock',
  153: 'ViewRequisitions',
  154: 'CreateAndEditRequisitions',
  156: 'ViewStock',
  157: 'AccessServerAdministration',
  165: 'ReturnStockFromCustomerInvoices',
  168: 'ReturnStockFromSupplierInvoices',
  170: 'CreateCustomerInvoicesFromRequisitions',
  172: 'ViewAndEditVaccineVialMonitorStatus',
  175: 'ViewSensorDetails',
  176: 'EditSensorLocation',
  178: 'ChangeAssetStatus',
  190: 'ViewPatients',
  200: 'ConfirmInternalOrderSent',
  201: 'ColdChainApi',
  202: 'EditCentralData',
  203: 'AddAssetsViaDataMatrix',
};

/** Granted numbers as the client reads them: index i is number i + 1; as long as the highest granted. */
export function permissionFlags(granted: readonly number[]): boolean[] {
  const highest = granted.reduce((max, n) => Math.max(max, n), 0);
  const flags = new Array<boolean>(highest).fill(false);
  for (const n of granted) flags[n - 1] = true;
  return flags;
}

/** The numbers a flags array grants (the inverse of `permissionFlags`). */
export const grantedNumbers = (flags: readonly boolean[]): number[] => flags.flatMap((flag, i) => (flag ? [i + 1] : []));

/** Ascending, unique. */
export const normalisePermissions = (numbers: readonly number[]): number[] => [...new Set(numbers)].sort((a, b) => a - b);

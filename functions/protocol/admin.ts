/**
 * The admin API's bodies and the configuration file format, as zod schemas. The handler
 * validates with them and the OpenAPI document is generated from them.
 */
// zod/mini with its English messages (./zod): `z.locales.en()` would bundle every locale.
import * as z from './zod';
import { MAX_SITE_ID } from '../domain/config/model';
import { MAX_PERMISSION_NUMBER } from '../domain/users/permissions';

const text = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));
const recordId = z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'));
const siteIdNumber = z.int().check(z.gte(1), z.lte(MAX_SITE_ID));
const atLeastOne = (what: string) => z.refine((body: unknown) => Object.keys(body as object).length > 0, `give at least one of ${what}`);
const described = <T extends z.ZodMiniType>(schema: T, description: string): T => schema.check(z.meta({ description })) as T;

export const siteIdSchema = z.pipe(z.coerce.number(), siteIdNumber);
export const siteKindSchema = z.enum(['central', 'desktop', 'mobile']);
export const storeModeSchema = z.enum(['store', 'dispensary']);
export const syncWithSchema = z.enum(['none', 'activeCollector', 'transfer']);
export const instanceTypeSchema = z.enum(['active', 'collector', 'transfer', 'none']);
/** A password as typed by an operator; the server derives what the site sends (its SHA-256). */
export const passwordSchema = z.string().check(z.minLength(8), z.maxLength(256));

export const createSiteBody = z.strictObject({
  siteId: siteIdNumber,
  name: text(100),
  code: text(20),
  kind: siteKindSchema,
  password: z.optional(passwordSchema),
});
export const updateSiteBody = z
  .partial(z.strictObject({ name: text(100), code: text(20), kind: siteKindSchema }))
  .check(atLeastOne('name, code, kind'));
export const setPasswordBody = z.strictObject({ password: passwordSchema });

/** A store's own fields, shared by the create body and the configuration file. */
const storeFields = {
  id: recordId,
  code: text(20),
  name: text(100),
  nameId: recordId,
  mode: z._default(storeModeSchema, 'store'),
  activeSiteId: siteIdNumber,
};

export const createStoreBody = z.strictObject({
  ...storeFields,
  includeTransactionsInSync: z.optional(z.boolean()),
});
export const updateStoreBody = z
  .partial(
    z.strictObject({
      code: text(20),
      name: text(100),
      mode: storeModeSchema,
      resyncPatients: described(
        z.boolean(),
        'Resync patient records when the store is saved: send again to the store\'s site every patient visible in the store, with the dispensary data',
      ),
    }),
  )
  .check(atLeastOne('code, name, mode, resyncPatients'));
export const setActiveSiteBody = z.strictObject({
  siteId: siteIdNumber,
  keepCollectorOnPreviousSite: z._default(z.boolean(), true),
  /** Move even though a site still has records waiting or work running (a site lost for good). */
  force: z._default(z.boolean(), false),
});
export const setIncludeTransactionsBody = z.strictObject({ includeTransactionsInSync: z.boolean() });
export const setSyncWithBody = z.strictObject({ syncWith: syncWithSchema });
export const addVisibilityBody = z.strictObject({ nameId: recordId });
export const preferencesSchema = z.strictObject({
  primarySiteId: z.nullable(siteIdNumber),
  centralisedProcurement: z.boolean(),
  centralisedPayments: z.boolean(),
});
export const updatePreferencesBody = z.partial(preferencesSchema).check(atLeastOne('primarySiteId, centralisedProcurement, centralisedPayments'));

// --- users ---------------------------------------------------------------------------------

/** A store the user may log in to, with the legacy permission numbers granted there. */
export const userStoreSchema = z.strictObject({
  storeId: recordId,
  permissions: described(
    z._default(z.array(z.int().check(z.gte(1), z.lte(MAX_PERMISSION_NUMBER))).check(z.maxLength(MAX_PERMISSION_NUMBER)), []),
    'Legacy mSupply permission numbers granted in this store (index + 1 of the login answer\'s permissions array); see docs/users.md',
  ),
});
const plainText = (max: number) => z.string().check(z.trim(), z.maxLength(max));
/** The fields of a user shared by the create body and the configuration file. */
const userFields = {
  id: described(z.optional(recordId), 'Legacy user ID sites store the user under; by default derived from the name'),
  name: described(text(100), 'Login name, unique case-insensitively'),
  active: z.optional(z.boolean()),
  firstName: z.optional(plainText(100)),
  lastName: z.optional(plainText(100)),
  email: z.optional(plainText(200)),
  jobTitle: z.optional(plainText(100)),
  stores: z._default(z.array(userStoreSchema).check(z.maxLength(1000)), []),
  defaultStoreId: z.optional(z.nullable(recordId)),
};
export const createUserBody = z.strictObject({ ...userFields, password: passwordSchema });
export const updateUserBody = z
  .partial(
    z.strictObject({
      name: userFields.name,
      active: z.boolean(),
      firstName: plainText(100),
      lastName: plainText(100),
      email: plainText(200),
      jobTitle: plainText(100),
      stores: z.array(userStoreSchema).check(z.maxLength(1000)),
      defaultStoreId: z.nullable(recordId),
    }),
  )
  .check(atLeastOne('name, active, firstName, lastName, email, jobTitle, stores, defaultStoreId'));
export const userView = z.object({
  id: z.string(),
  name: z.string(),
  active: z.boolean(),
  hasPassword: z.boolean(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  jobTitle: z.string(),
  stores: z.array(z.object({ storeId: z.string(), permissions: z.array(z.int()) })),
  defaultStoreId: z.nullable(z.string()),
});

// --- responses -------------------------------------------------------------------------------

export const siteView = z.object({
  siteId: z.int(),
  name: z.string(),
  code: z.string(),
  kind: siteKindSchema,
  hasPassword: z.boolean(),
  hardwareId: z.string(),
  isPrimary: z.boolean(),
});
export const storeView = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  nameId: z.string(),
  mode: storeModeSchema,
  activeSiteId: z.int(),
  includeTransactionsInSync: z.boolean(),
});
export const syncWithView = z.object({
  storeId: z.string(),
  sites: z.array(z.object({ siteId: z.int(), syncWith: syncWithSchema, type: instanceTypeSchema })),
});
export const visibilityView = z.object({ storeId: z.string(), nameIds: z.array(z.string()) });
export const auditView = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export const errorView = z.object({
  error: z.object({ code: z.string(), message: z.string(), data: z.unknown() }),
});

// --- configuration file ----------------------------------------------------------------------

export const configFileSchema = z.strictObject({
  sites: z.array(
    z.strictObject({
      siteId: siteIdNumber,
      name: text(100),
      code: text(20),
      kind: siteKindSchema,
      /** Plain password (demo files only); exported files never contain one. */
      password: z.optional(passwordSchema),
    }),
  ),
  stores: z.array(
    z.strictObject({
      ...storeFields,
      includeTransactionsInSync: z._default(z.boolean(), true),
      /** "sync with" per other site (key: site id); unlisted sites follow visibility. */
      syncWith: z._default(z.record(z.string().check(z.regex(/^\d+$/)), syncWithSchema), {}),
    }),
  ),
  visibility: z._default(z.array(z.strictObject({ storeId: recordId, nameId: recordId })), []),
  preferences: z._default(z.partial(preferencesSchema), {}),
  /** Users who log in on sites (docs/users.md); passwords in clear in demo files only. */
  users: z._default(z.array(z.strictObject({ ...userFields, password: z.optional(passwordSchema) })), []),
});
export type ConfigFile = z.infer<typeof configFileSchema>;
export type ConfigFileInput = z.input<typeof configFileSchema>;

// --- central data import and quarantine ----------------------------------------------------------

/** A record in the legacy wire format, as a site would push it but without its syncOutId. */
export const importRecordSchema = z.object({
  tableName: z.string(),
  recordId: z.string(),
  action: z.string(),
  recordData: z.optional(z.record(z.string(), z.unknown())),
});
export const importRecordsBody = z.strictObject({
  records: described(
    z.array(z.unknown()).check(z.minLength(1), z.maxLength(1024)),
    'Records in the legacy wire format ({tableName, recordId, action, recordData})',
  ),
});
export const quarantinedRecordView = z.object({
  siteId: z.number(),
  changeId: z.string(),
  tableName: z.string(),
  recordId: z.string(),
  action: z.string(),
  reason: z.string(),
  message: z.string(),
  receivedAt: z.string(),
  raw: z.unknown(),
});
export const importRecordsResponse = z.object({
  accepted: z.number(),
  ignored: z.number(),
  refused: z.array(quarantinedRecordView),
});
export const quarantineListResponse = z.object({ records: z.array(quarantinedRecordView), next: z.optional(z.string()) });

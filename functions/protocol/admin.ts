/**
 * The admin API's bodies and the configuration file format, as zod schemas. The handler
 * validates with them and the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import { MAX_SITE_ID } from '../domain/config/model';
import { MAX_PERMISSION_NUMBER } from '../domain/users/permissions';

const text = (max: number) => z.string().trim().min(1).max(max);
const recordId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only');

export const siteIdSchema = z.coerce.number().int().min(1).max(MAX_SITE_ID);
export const siteKindSchema = z.enum(['central', 'desktop', 'mobile']);
export const storeModeSchema = z.enum(['store', 'dispensary']);
export const syncWithSchema = z.enum(['none', 'activeCollector', 'transfer']);
export const instanceTypeSchema = z.enum(['active', 'collector', 'transfer', 'none']);
/** A password as typed by an operator; the server derives what the site sends (its SHA-256). */
export const passwordSchema = z.string().min(8).max(256);

export const createSiteBody = z.strictObject({
  siteId: z.number().int().min(1).max(MAX_SITE_ID),
  name: text(100),
  code: text(20),
  kind: siteKindSchema,
  password: passwordSchema.optional(),
});
export const updateSiteBody = z
  .strictObject({ name: text(100), code: text(20), kind: siteKindSchema })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'give at least one of name, code, kind');
export const setPasswordBody = z.strictObject({ password: passwordSchema });

/** A store's own fields, shared by the create body and the configuration file. */
const storeFields = {
  id: recordId,
  code: text(20),
  name: text(100),
  nameId: recordId,
  mode: storeModeSchema.default('store'),
  activeSiteId: z.number().int().min(1).max(MAX_SITE_ID),
};

export const createStoreBody = z.strictObject({
  ...storeFields,
  includeTransactionsInSync: z.boolean().optional(),
});
export const updateStoreBody = z
  .strictObject({ code: text(20), name: text(100), mode: storeModeSchema })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'give at least one of code, name, mode');
export const setActiveSiteBody = z.strictObject({
  siteId: z.number().int().min(1).max(MAX_SITE_ID),
  keepCollectorOnPreviousSite: z.boolean().default(true),
  /** Move even though a site still has records waiting or work running (a site lost for good). */
  force: z.boolean().default(false),
});
export const setIncludeTransactionsBody = z.strictObject({ includeTransactionsInSync: z.boolean() });
export const setSyncWithBody = z.strictObject({ syncWith: syncWithSchema });
export const addVisibilityBody = z.strictObject({ nameId: recordId });
export const preferencesSchema = z.strictObject({
  primarySiteId: z.number().int().min(1).max(MAX_SITE_ID).nullable(),
  centralisedProcurement: z.boolean(),
  centralisedPayments: z.boolean(),
});
export const updatePreferencesBody = preferencesSchema
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'give at least one preference');

// --- users ---------------------------------------------------------------------------------

/** A store the user may log in to, with the legacy permission numbers granted there. */
export const userStoreSchema = z.strictObject({
  storeId: recordId,
  permissions: z
    .array(z.number().int().min(1).max(MAX_PERMISSION_NUMBER))
    .max(MAX_PERMISSION_NUMBER)
    .default([])
    .meta({ description: 'Legacy mSupply permission numbers granted in this store (index + 1 of the login answer\'s permissions array); see docs/users.md' }),
});
const optionalText = (max: number) => z.string().trim().max(max).optional();
/** The fields of a user shared by the create body and the configuration file. */
const userFields = {
  id: recordId.optional().meta({ description: 'Legacy user ID sites store the user under; by default derived from the name' }),
  name: text(100).meta({ description: 'Login name, unique case-insensitively' }),
  active: z.boolean().optional(),
  firstName: optionalText(100),
  lastName: optionalText(100),
  email: optionalText(200),
  jobTitle: optionalText(100),
  stores: z.array(userStoreSchema).max(1000).default([]),
  defaultStoreId: recordId.nullable().optional(),
};
export const createUserBody = z.strictObject({ ...userFields, password: passwordSchema });
export const updateUserBody = z
  .strictObject({
    name: userFields.name,
    active: z.boolean(),
    firstName: z.string().trim().max(100),
    lastName: z.string().trim().max(100),
    email: z.string().trim().max(200),
    jobTitle: z.string().trim().max(100),
    stores: z.array(userStoreSchema).max(1000),
    defaultStoreId: recordId.nullable(),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'give at least one of name, active, firstName, lastName, email, jobTitle, stores, defaultStoreId');
export const userView = z.object({
  id: z.string(),
  name: z.string(),
  active: z.boolean(),
  hasPassword: z.boolean(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  jobTitle: z.string(),
  stores: z.array(z.object({ storeId: z.string(), permissions: z.array(z.number().int()) })),
  defaultStoreId: z.string().nullable(),
});

// --- responses -------------------------------------------------------------------------------

export const siteView = z.object({
  siteId: z.number().int(),
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
  activeSiteId: z.number().int(),
  includeTransactionsInSync: z.boolean(),
});
export const syncWithView = z.object({
  storeId: z.string(),
  sites: z.array(z.object({ siteId: z.number().int(), syncWith: syncWithSchema, type: instanceTypeSchema })),
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
      siteId: z.number().int().min(1).max(MAX_SITE_ID),
      name: text(100),
      code: text(20),
      kind: siteKindSchema,
      /** Plain password (demo files only); exported files never contain one. */
      password: passwordSchema.optional(),
    }),
  ),
  stores: z.array(
    z.strictObject({
      ...storeFields,
      includeTransactionsInSync: z.boolean().default(true),
      /** "sync with" per other site (key: site id); unlisted sites follow visibility. */
      syncWith: z.record(z.string().regex(/^\d+$/), syncWithSchema).default({}),
    }),
  ),
  visibility: z.array(z.strictObject({ storeId: recordId, nameId: recordId })).default([]),
  preferences: preferencesSchema.partial().default({}),
  /** Users who log in on sites (docs/users.md); passwords in clear in demo files only. */
  users: z.array(z.strictObject({ ...userFields, password: passwordSchema.optional() })).default([]),
});
export type ConfigFile = z.infer<typeof configFileSchema>;
export type ConfigFileInput = z.input<typeof configFileSchema>;

// --- central data import and quarantine ----------------------------------------------------------

/** A record in the legacy wire format, as a site would push it but without its syncOutId. */
export const importRecordSchema = z.object({
  tableName: z.string(),
  recordId: z.string(),
  action: z.string(),
  recordData: z.record(z.string(), z.unknown()).optional(),
});
export const importRecordsBody = z.strictObject({
  records: z.array(z.unknown()).min(1).max(1024).meta({ description: 'Records in the legacy wire format ({tableName, recordId, action, recordData})' }),
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
export const quarantineListResponse = z.object({ records: z.array(quarantinedRecordView), next: z.string().optional() });

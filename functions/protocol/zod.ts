/**
 * zod's tree-shakable build (`zod/mini`, functional API) with zod's English issue messages. The
 * mini build loads no locale, so without this every issue would read just "Invalid input"; the
 * messages callers see ("Invalid input: expected object, received null") come from here. Import
 * `* as z` from this module wherever an issue's text can reach a caller.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';

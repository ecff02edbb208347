-- The catalog entry digest a user's app was last claimed for hydration at, so
-- a content change at the same version (a fixed chart, new i18n) makes it
-- stale too. NULL (rows from before): compared by version only.
ALTER TABLE user_apps ADD COLUMN entry_digest TEXT;

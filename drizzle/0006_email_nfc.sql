-- Custom SQL migration file, put your code below! --
-- Emails are compared in Unicode NFC from now on. Stored ones are rewritten to NFC, oldest first
-- for each normalized address, unless an account already holds that form: such a duplicate keeps
-- its email (nothing is lost) and the NFC account is the one a sign-in finds.
UPDATE "users" AS u SET "email" = normalize(u."email", NFC)
WHERE u."id" IN (
  SELECT DISTINCT ON (normalize("email", NFC)) "id" FROM "users"
  WHERE "email" IS NOT NFC NORMALIZED
  ORDER BY normalize("email", NFC), "created_at", "id"
)
AND NOT EXISTS (SELECT 1 FROM "users" AS v WHERE v."email" = normalize(u."email", NFC));

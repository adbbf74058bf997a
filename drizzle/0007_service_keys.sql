CREATE TABLE "service_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "service_keys_key_hash_idx" ON "service_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "service_keys_live_name_idx" ON "service_keys" USING btree ("name") WHERE "service_keys"."revoked_at" IS NULL;
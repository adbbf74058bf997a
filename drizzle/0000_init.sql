CREATE TYPE "device_type" AS ENUM('DESKTOP', 'MOBILE', 'TABLET', 'TV', 'CONSOLE', 'WEARABLE', 'EMBEDDED', 'BOT', 'UNKNOWN');--> statement-breakpoint
CREATE TYPE "revocation_reason" AS ENUM('LOGOUT', 'REVOKED', 'EXPIRED', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_LIMIT');--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"access_token_hash" text NOT NULL,
	"refresh_token_hash" text NOT NULL,
	"device_name" text NOT NULL,
	"device_type" "device_type" NOT NULL,
	"os" text,
	"browser" text,
	"device_id" text,
	"user_agent" text,
	"ip_address" text,
	"cpu_cores" integer,
	"ram_gb" double precision,
	"internet_speed_mbps" double precision,
	"created_at" timestamp with time zone NOT NULL,
	"last_active_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_reason" "revocation_reason"
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_refresh_token_hash_key" ON "sessions" USING btree ("refresh_token_hash");--> statement-breakpoint
CREATE INDEX "sessions_user_id_active_idx" ON "sessions" USING btree ("user_id","last_active_at") WHERE "sessions"."revoked_at" IS NULL;--> statement-breakpoint
CREATE INDEX "sessions_user_id_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree ("email");
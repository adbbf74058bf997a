CREATE TABLE "sign_up_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ip_address" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "sign_up_attempts_ip_idx" ON "sign_up_attempts" USING btree ("ip_address","created_at");--> statement-breakpoint
CREATE INDEX "sign_up_attempts_created_at_idx" ON "sign_up_attempts" USING btree ("created_at");
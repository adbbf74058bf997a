ALTER TYPE "security_event_type" ADD VALUE 'BOUND_TOKEN_WITHOUT_PROOF';--> statement-breakpoint
CREATE TABLE "dpop_proofs" (
	"proof_hash" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "dpop_jkt" text;--> statement-breakpoint
CREATE INDEX "dpop_proofs_expires_at_idx" ON "dpop_proofs" USING btree ("expires_at");
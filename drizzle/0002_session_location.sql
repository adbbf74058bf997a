ALTER TABLE "sessions" ADD COLUMN "location_city" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "location_region" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "location_country_code" text;
-- Proofs seen are kept a minute and guard against replays only: the table needs no WAL. Each
-- request's insert then waits for no WAL flush, and a crash empties the table, which reopens a
-- minute's replay window at most (Drizzle's table definitions cannot say UNLOGGED).
ALTER TABLE "dpop_proofs" SET UNLOGGED;

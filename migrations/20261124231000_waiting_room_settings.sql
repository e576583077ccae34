-- Waiting-room settings per event: how long an admission lasts (extended while the shopper
-- is active) and how long a shopper may idle before the slot goes to the next in line.
ALTER TABLE events ADD COLUMN admission_ttl_seconds BIGINT NOT NULL DEFAULT 600;
ALTER TABLE events ADD COLUMN idle_timeout_seconds BIGINT NOT NULL DEFAULT 300;

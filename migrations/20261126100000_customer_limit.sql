-- Fairness: per-customer limits and the per-event bot check switch.
--
-- max_tickets_per_customer caps the seats and tickets one user may have in pending and paid
-- reservations of an event, all reservations together. customer_tickets is the running count
-- per (event, user), moved in the same transaction as the holds and releases that change it,
-- so a hold checks the cap with one conditional upsert on one row: concurrent holds by one user
-- queue on that row and cannot pass the cap together (on PostgreSQL and SQLite alike).
ALTER TABLE events ADD COLUMN max_tickets_per_customer BIGINT NOT NULL DEFAULT 10;
ALTER TABLE events ADD COLUMN bot_check BIGINT NOT NULL DEFAULT 0;

CREATE TABLE customer_tickets (
    event_id TEXT NOT NULL REFERENCES events (id),
    user_id  TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (event_id, user_id)
);

-- What users already hold or bought before this migration counts too.
INSERT INTO customer_tickets (event_id, user_id, quantity)
SELECT r.event_id, r.user_id, SUM(i.quantity)
FROM reservations r JOIN reservation_items i ON i.reservation_id = r.id
WHERE i.active = 1
GROUP BY r.event_id, r.user_id;

-- Waitlist for sold-out ticket types (issue 16).
--
-- One entry per (ticket type, user), in the order people joined (seq, given out per type; the
-- unique index refuses two joins with the same number, and the join retries). offer_id names
-- the pending reservation offered to the entry once stock came back; the entry leaves the list
-- when that reservation is paid, cancelled or expires. Entries with no offer are "waiting":
-- while a type has any, its free units are withheld from open sale (holds see none).
CREATE TABLE waitlist_entries (
    event_id       TEXT NOT NULL REFERENCES events (id),
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id),
    user_id        TEXT NOT NULL,
    quantity       BIGINT NOT NULL CHECK (quantity > 0),
    seq            BIGINT NOT NULL CHECK (seq > 0),
    joined_at      BIGINT NOT NULL,
    offer_id       TEXT REFERENCES reservations (id),
    PRIMARY KEY (ticket_type_id, user_id)
);

CREATE UNIQUE INDEX waitlist_entries_order ON waitlist_entries (ticket_type_id, seq);
CREATE INDEX waitlist_entries_by_user ON waitlist_entries (event_id, user_id);
-- The hold path's question, once per batch: which of the event's types have people waiting.
CREATE INDEX waitlist_entries_waiting ON waitlist_entries (event_id, ticket_type_id) WHERE offer_id IS NULL;
-- One reservation is the offer of at most one entry.
CREATE UNIQUE INDEX waitlist_entries_one_per_offer ON waitlist_entries (offer_id) WHERE offer_id IS NOT NULL;

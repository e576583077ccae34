-- Core box office schema. Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- Times are epoch milliseconds (BIGINT); flags are 0/1 BIGINT; ids are opaque TEXT.
-- The inventory invariants live here, in constraints, not only in Rust.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT UNIQUE,              -- NULL for guests
    name          TEXT NOT NULL,
    password_hash TEXT,                     -- argon2id PHC string; NULL for guests
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    is_guest      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE events (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    venue              TEXT NOT NULL,
    starts_at          BIGINT NOT NULL,
    sale_opens_at      BIGINT NOT NULL,
    capacity           BIGINT NOT NULL CHECK (capacity > 0),
    admit_rate_per_sec DOUBLE PRECISION NOT NULL CHECK (admit_rate_per_sec > 0),
    hold_seconds       BIGINT NOT NULL CHECK (hold_seconds > 0),
    has_seat_map       BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL
);

CREATE INDEX events_by_start ON events (starts_at);

-- held and sold are counters kept in the same transaction as the holds that change them,
-- so remainingQuantity (total - held - sold) costs no scan, and the CHECK makes an oversell
-- impossible even if application code were wrong.
CREATE TABLE ticket_types (
    id        TEXT PRIMARY KEY,
    event_id  TEXT NOT NULL REFERENCES events (id),
    position  BIGINT NOT NULL,
    name      TEXT NOT NULL,
    price     BIGINT NOT NULL CHECK (price >= 0),
    seated    BIGINT NOT NULL DEFAULT 0,
    total     BIGINT NOT NULL CHECK (total >= 0),
    held      BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0),
    sold      BIGINT NOT NULL DEFAULT 0 CHECK (sold >= 0),
    version   BIGINT NOT NULL DEFAULT 1,
    CHECK (held + sold <= total)
);

CREATE INDEX ticket_types_by_event ON ticket_types (event_id, position);

-- A seat is available (no reservation) or held/sold by exactly one reservation.
CREATE TABLE seats (
    id             TEXT PRIMARY KEY,
    event_id       TEXT NOT NULL REFERENCES events (id),
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id),
    section        TEXT NOT NULL,
    row_label      TEXT NOT NULL,
    number         BIGINT NOT NULL,
    x              DOUBLE PRECISION NOT NULL,
    y              DOUBLE PRECISION NOT NULL,
    status         TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'sold')),
    reservation_id TEXT,
    version        BIGINT NOT NULL DEFAULT 1,
    CHECK ((status = 'available' AND reservation_id IS NULL)
        OR (status <> 'available' AND reservation_id IS NOT NULL))
);

CREATE INDEX seats_by_event ON seats (event_id, section, row_label, number);
CREATE INDEX seats_by_reservation ON seats (reservation_id) WHERE reservation_id IS NOT NULL;

CREATE TABLE reservations (
    id         TEXT PRIMARY KEY,
    event_id   TEXT NOT NULL REFERENCES events (id),
    user_id    TEXT NOT NULL,               -- tokens from other issuers may name unknown users
    status     TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled', 'expired')),
    total      BIGINT NOT NULL CHECK (total >= 0),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX reservations_by_user ON reservations (user_id, created_at);
-- The sweeper's work list: only pending holds, oldest deadline first.
CREATE INDEX reservations_pending_by_expiry ON reservations (expires_at) WHERE status = 'pending';

CREATE TABLE reservation_items (
    reservation_id TEXT NOT NULL REFERENCES reservations (id),
    position       BIGINT NOT NULL,
    ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id),
    seat_id        TEXT REFERENCES seats (id),
    quantity       BIGINT NOT NULL CHECK (quantity > 0),
    price          BIGINT NOT NULL CHECK (price >= 0),
    active         BIGINT NOT NULL DEFAULT 1,    -- 1 while the reservation is pending or paid
    PRIMARY KEY (reservation_id, position)
);

-- The never-oversell invariant for seats, in the database: a seat is in at most one
-- pending-or-paid reservation.
CREATE UNIQUE INDEX reservation_items_one_active_per_seat
    ON reservation_items (seat_id) WHERE seat_id IS NOT NULL AND active = 1;

-- Idempotency-Key support: the first answer to (user, key) is kept and replayed.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,                -- user id, or 'anonymous'
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code  BIGINT,                       -- NULL while the first request is in flight
    response     TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

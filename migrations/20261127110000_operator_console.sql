-- The operator console (issue 15): settings an administrator changes during an on-sale, the
-- counter every instance polls to notice such changes, and the audit trail of admin actions.

-- While 1, holds answer 409 sales_paused and the waiting room admits nobody.
ALTER TABLE events ADD COLUMN sales_paused BIGINT NOT NULL DEFAULT 0 CHECK (sales_paused IN (0, 1));
-- 'auto': admit at once while there is room and nobody waits; 'on': everyone takes a number;
-- 'off': everyone is admitted at once, whatever the capacity.
ALTER TABLE events ADD COLUMN waiting_room TEXT NOT NULL DEFAULT 'auto'
    CHECK (waiting_room IN ('auto', 'on', 'off'));
-- The settings revision this event was last changed under (see settings_revision).
ALTER TABLE events ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX events_by_revision ON events (revision);

-- One row: the last settings revision given out. A change takes the next one under this row's
-- lock, which it holds until it commits, so revisions commit in order and an instance that
-- has seen revision n has seen every change up to n.
CREATE TABLE settings_revision (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO settings_revision (id, revision) VALUES (1, 0);

-- Every admin action (create, patch, CSV export), written in the transaction of the change.
CREATE TABLE admin_actions (
    id       TEXT PRIMARY KEY,
    at       BIGINT NOT NULL,
    admin_id TEXT NOT NULL,
    action   TEXT NOT NULL,
    event_id TEXT,
    -- JSON text: the changed fields with their old and new values, or what was exported.
    details  TEXT NOT NULL
);
CREATE INDEX admin_actions_by_event ON admin_actions (event_id, at);

-- The orders export reads an event's paid orders in the order they were paid.
CREATE INDEX reservations_by_event_status ON reservations (event_id, status, updated_at, id);

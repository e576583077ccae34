-- Where each live waiting line stood, about once a second: what a line is rebuilt from when
-- its Redis (or, in embedded mode, the process) loses it. Numbers only go up.
CREATE TABLE line_checkpoints (
    event_id        TEXT PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    next_number     BIGINT NOT NULL,
    serving_number  BIGINT NOT NULL,
    active_shoppers BIGINT NOT NULL,
    waiting         BIGINT NOT NULL,
    presale         BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

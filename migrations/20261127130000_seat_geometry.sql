-- Stadium seat maps: every seat's place in its event's canonical order, and where the
-- sections and the stage were put.
--
-- `seats.position` is the seat's 0-based index in the event's seat map in canonical order:
-- sections in the order given at creation, rows front (row A) to back, seats by number. The
-- geometry (GET /api/events/{id}/seatmap) and the compact status name seats by it. Events
-- made before this migration were laid out one section under another, rows top to bottom
-- and seats left to right, so ordering them by (y, x) is that canonical order; the scratch
-- table keeps the backfill one pass over the seats (as 20261127120000_seat_rank.sql does).
ALTER TABLE seats ADD COLUMN position BIGINT NOT NULL DEFAULT 0;

CREATE TABLE seat_position_backfill AS
SELECT id,
       ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY y, x, id) - 1 AS p
FROM seats;

CREATE UNIQUE INDEX seat_position_backfill_by_id ON seat_position_backfill (id);

UPDATE seats SET position = (SELECT b.p FROM seat_position_backfill b WHERE b.id = seats.id);

DROP TABLE seat_position_backfill;

-- The seat map is read in this order; one position per seat of an event.
CREATE UNIQUE INDEX seats_by_position ON seats (event_id, position);

-- Where the sections and the stage were placed (JSON: `{"stage": {...} | null, "sections":
-- [{"x", "y", "rotation", "curve"}, ...]}` in the order given), for the geometry to echo.
-- NULL for events made before: their geometry derives placement from the seats.
ALTER TABLE events ADD COLUMN seat_layout TEXT;

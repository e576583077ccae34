-- Best available: every seat's rank in its event, 1 = best. Stored when the seat map is made,
-- so choosing the best block needs no geometry at request time.
--
-- The rule (the same as src/inventory/best.rs `rank_seats`): front rows first, where the
-- front is the top of the map (smaller y: the first section given, its first row); within a
-- row, the seat nearest the middle of the map first (|x - centre|, the centre half-way
-- between the event's leftmost and rightmost seats, where every section is centred); equal
-- distances left before right (smaller x).
--
-- Existing events get their ranks here, in portable SQL (window functions: SQLite 3.25+ and
-- PostgreSQL); the scratch table keeps it one pass over the seats rather than one per seat.
ALTER TABLE seats ADD COLUMN seat_rank BIGINT NOT NULL DEFAULT 0;

CREATE TABLE seat_rank_backfill AS
SELECT s.id AS id,
       ROW_NUMBER() OVER (
           PARTITION BY s.event_id
           ORDER BY s.y, ABS(s.x - (c.lo + c.hi) / 2), s.x, s.id
       ) AS r
FROM seats s
JOIN (SELECT event_id, MIN(x) AS lo, MAX(x) AS hi FROM seats GROUP BY event_id) c
  ON c.event_id = s.event_id;

CREATE UNIQUE INDEX seat_rank_backfill_by_id ON seat_rank_backfill (id);

UPDATE seats SET seat_rank = (SELECT b.r FROM seat_rank_backfill b WHERE b.id = seats.id);

DROP TABLE seat_rank_backfill;

-- Best available reads an event's free seats best first.
CREATE INDEX seats_by_rank ON seats (event_id, seat_rank);

-- Creating a stadium (50,000 seats) spends most of its time in the database, on the checks of
-- the seats' foreign keys and the upkeep of their indexes (docs/benchmarks.md). One index
-- served nothing the others do not: seats_by_event (event_id, section, row_label, number).
-- Reads of an event's seats go by seats_by_position (event_id, position) or seats_by_rank
-- (event_id, seat_rank), holds by the primary key, and best available's section check reads
-- the event's cached layout (src/inventory/best.rs) instead of this index.
DROP INDEX seats_by_event;

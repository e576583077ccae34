-- What must hold in the database after fuzzing (scripts/fuzz.sh runs each statement on SQLite
-- and PostgreSQL). Each statement counts violations; every count must be 0.

-- stock: no counter below zero or above the total
SELECT COUNT(*) FROM ticket_types WHERE held < 0 OR sold < 0 OR held + sold > total;

-- stock: each type's held and sold are its pending and paid reservation items
SELECT COUNT(*) FROM ticket_types t
 WHERE t.held <> COALESCE((SELECT SUM(i.quantity) FROM reservation_items i
                             JOIN reservations r ON r.id = i.reservation_id
                            WHERE i.ticket_type_id = t.id AND i.active = 1 AND r.status = 'pending'), 0)
    OR t.sold <> COALESCE((SELECT SUM(i.quantity) FROM reservation_items i
                             JOIN reservations r ON r.id = i.reservation_id
                            WHERE i.ticket_type_id = t.id AND i.active = 1 AND r.status = 'paid'), 0);

-- seats: none double-booked (two live reservation items for one seat)
SELECT COUNT(*) FROM (SELECT i.seat_id FROM reservation_items i
                        WHERE i.seat_id IS NOT NULL AND i.active = 1
                        GROUP BY i.seat_id HAVING COUNT(*) > 1) d;

-- seats: a seat's status is that of the live reservation holding it
SELECT COUNT(*) FROM seats s
 WHERE (s.status = 'available' AND EXISTS (SELECT 1 FROM reservation_items i
                                           WHERE i.seat_id = s.id AND i.active = 1))
    OR (s.status = 'held' AND NOT EXISTS (SELECT 1 FROM reservations r
                                          WHERE r.id = s.reservation_id AND r.status = 'pending'))
    OR (s.status = 'sold' AND NOT EXISTS (SELECT 1 FROM reservations r
                                          WHERE r.id = s.reservation_id AND r.status = 'paid'));

-- reservations: items are live exactly while the reservation is pending or paid
SELECT COUNT(*) FROM reservation_items i JOIN reservations r ON r.id = i.reservation_id
 WHERE (i.active = 1) <> (r.status IN ('pending', 'paid'));

-- the per-customer limit: each customer's count is their live items
SELECT COUNT(*) FROM customer_tickets c
 WHERE c.quantity <> COALESCE((SELECT SUM(i.quantity) FROM reservation_items i
                                 JOIN reservations r ON r.id = i.reservation_id
                                WHERE r.event_id = c.event_id AND r.user_id = c.user_id
                                  AND i.active = 1), 0);

-- the per-customer limit: nobody holds more of an event than it allows
SELECT COUNT(*) FROM customer_tickets c JOIN events e ON e.id = c.event_id
 WHERE c.quantity > e.max_tickets_per_customer;

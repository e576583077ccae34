-- Issue 18: each event's currency (ISO 4217 code) and its venue's time zone (IANA name).
-- Events stored before this were priced in US cents and shown in UTC, so that is what they
-- keep. New events get the server's DEFAULT_CURRENCY unless their body says otherwise.
--
-- Reservations carry no currency column: an order is in its event's currency, read by joining
-- the event, and the currency can only change while the event has no reservation at all
-- (PATCH answers 409 currency_locked after that), so no order can end up in a currency it was
-- not made in.
ALTER TABLE events ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
ALTER TABLE events ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

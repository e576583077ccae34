// Generated from web/openapi.json by web/scripts/gen-api.mjs (openapi-typescript).
// Do not edit: change the server's types or handlers, then regenerate (DEVELOPERS.md).

export interface paths {
    "/api/admin/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Creates an event with its ticket types and seat map. */
        post: operations["createEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/events/{event_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Changes an event's settings: any of its fields but the ticket types and the seat map
         *     (`currency` only while the event has no reservation).
         *     Every instance applies the change within a second and tells the event's sockets
         *     (`event:updated`).
         */
        patch: operations["updateEvent"];
        trace?: never;
    };
    "/api/admin/events/{event_id}/orders.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The event's paid orders as CSV, one row per order, in the order they were paid. Streamed
         *     a page of 500 orders at a time: an export of any size holds one page in memory.
         */
        get: operations["exportOrders"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/seat-maps/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * What a seat map would look like: the body is the `seatMap` of a create body, checked by the
         *     same rules (errors name fields as `seatMap.sections[0].rows`), laid out as creating the event
         *     would, and answered as a geometry with `eventId: null`, seat ids the bare positions and each
         *     section's `ticketType` its `ticketTypeIndex`. Nothing is stored.
         */
        post: operations["previewSeatMap"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/guest": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A throwaway identity. Needs a solved bot check when `BOT_CHECK=pow`. */
        post: operations["guest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Signs in with email and password. */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who the bearer token names. */
        get: operations["me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Creates an account and signs it in. */
        post: operations["register"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/botcheck/challenge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A new ALTCHA challenge (v1). Solve it and send the payload as `X-Bot-Check`. */
        get: operations["botCheckChallenge"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every event, soonest first. */
        get: operations["listEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events/{event_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One event with its waiting line. */
        get: operations["getEvent"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events/{event_id}/allowance": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** How many more seats and tickets of the event the caller may take (the per-customer limit). */
        get: operations["getAllowance"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events/{event_id}/seat-status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The event's seats' status and versions, 2 bits a seat in position order (the order of the
         *     seat map's geometry): a few kilobytes where `/seats` is megabytes at stadium size. Served
         *     from this instance's snapshot cache, kept current by the change feed (no database read
         *     per request while fresh); gzipped once per change for clients that accept it.
         */
        get: operations["getSeatStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events/{event_id}/seatmap": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The event's seat map geometry, compact (sections, rows by start and step or arc, seat ids
         *     by prefix): it never changes, so it carries a strong `ETag` and is cached for good.
         */
        get: operations["getSeatMapGeometry"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events/{event_id}/seats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The event's seats and their status (none for an event without a seat map). */
        get: operations["getSeats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The process serves; which database and coordination it runs on. */
        get: operations["health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Administrators only: the counters describe load and abuse, which is nobody else's business. */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document. Public and cacheable: it changes only with the server's version. */
        get: operations["openapi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queue/join": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Joins the event's waiting room (admitted at once while it has room). Joining twice keeps
         *     the first place.
         */
        post: operations["joinQueue"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queue/leave": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Leaves the event's line (or ends the turn). */
        post: operations["leaveQueue"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queue/status/{event_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The user's place in the event's line; for an admitted user a fresh admission token (and
         *     activity that keeps the turn).
         */
        get: operations["queueStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reservations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's reservations, newest first. */
        get: operations["myReservations"];
        put?: never;
        /** Holds general-admission tickets of one type. */
        post: operations["holdTickets"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reservations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Cancels a pending or paid reservation; its seats and stock come back. */
        delete: operations["cancelReservation"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reservations/{id}/pay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pays for a pending reservation (simulated); ends the shopper's turn. */
        post: operations["payReservation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/seats/best": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Holds the best block of `quantity` adjacent free seats in one row: front rows first, then
         *     the middle of the row, avoiding a single empty seat left between taken ones where another
         *     block fits. A block taken by someone else a moment earlier is not an answer: the next best
         *     block is taken in the same request.
         */
        post: operations["holdBestSeats"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/seats/reserve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Holds seats of the event, all or none, for the event's `holdSeconds`. */
        post: operations["holdSeats"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/waitlist": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Joins the waitlist of a sold-out ticket type; posting again for the same type changes the
         *     quantity and keeps the place (200).
         */
        post: operations["joinWaitlist"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/waitlist/{event_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's waitlist entries for the event, each with its place and its pending offer. */
        get: operations["myWaitlist"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/waitlist/{event_id}/{ticket_type_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Leaves the waitlist of one ticket type (204 also when not on it). A pending offer stays the
         *     caller's hold.
         */
        delete: operations["leaveWaitlist"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description A customer's standing against an event's per-customer limit. */
        Allowance: {
            eventId: components["schemas"]["EventId"];
            /**
             * Format: int64
             * @description The event's `maxTicketsPerCustomer`.
             */
            limit: number;
            /**
             * Format: int64
             * @description Seats and tickets in the customer's pending and paid reservations of the event.
             */
            held: number;
            /**
             * Format: int64
             * @description How many more they may hold.
             */
            remaining: number;
            /**
             * Format: int64
             * @description The most seats or tickets one reservation may hold (`MAX_TICKETS_PER_ORDER`).
             */
            perOrder: number;
        };
        /** @description The contract's error body: every non-2xx answer is one. */
        ApiError: {
            error: components["schemas"]["ErrorDetail"];
        };
        Bounds: {
            /** Format: double */
            x: number;
            /** Format: double */
            y: number;
            /** Format: double */
            width: number;
            /** Format: double */
            height: number;
        };
        /** @description What `GET /api/botcheck/challenge` answers: ALTCHA's v1 challenge. */
        Challenge: {
            algorithm: string;
            challenge: string;
            salt: string;
            signature: string;
            /** Format: int64 */
            maxnumber: number;
        };
        /**
         * @description One event's compact seat status, as `GET /api/events/:id/seat-status` and a compact
         *     `join:event` ack carry it.
         */
        CompactStatus: {
            eventId: string;
            /** @description Seats in the event's map (0 for general admission). */
            seatCount: number;
            /**
             * @description Base64 (standard, padded) of 2 bits a seat in position order, least significant first:
             *     0 available, 1 held, 2 sold.
             */
            status: string;
            /** @description Seat versions in position order, run-length encoded: `[version, run]` pairs. */
            versions: number[][];
        };
        Credentials: {
            email: string;
            password: string;
        };
        Entries: {
            entries: components["schemas"]["WaitlistEntry"][];
        };
        /**
         * @description Every error code the server sends: in REST error bodies (`{"error": {"code"}}`)
         *     and in Socket.IO acks (`{ok: false, error}`). The wire contract documents each
         *     one (`shared/PROTOCOL.md`, `docs/PROTOCOL-ADDITIONS.md`); a test holds the two
         *     lists together.
         * @enum {string}
         */
        ErrorCode: "malformed_json" | "invalid_body" | "invalid_id" | "invalid_field" | "invalid_quantity" | "too_many_tickets" | "invalid_seat_ids" | "duplicate_seat_ids" | "seated_ticket_type" | "invalid_email" | "invalid_password" | "invalid_name" | "invalid_idempotency_key" | "idempotency_key_reused" | "auth_required" | "invalid_token" | "token_expired" | "invalid_credentials" | "not_admitted" | "not_owner" | "admin_only" | "guests_disabled" | "bot_check_required" | "bot_check_failed" | "not_found" | "event_not_found" | "reservation_not_found" | "ticket_type_not_found" | "seat_not_found" | "seat_unavailable" | "sold_out" | "no_adjacent_seats" | "customer_limit" | "hold_expired" | "already_paid" | "reservation_cancelled" | "reservation_changed" | "email_taken" | "idempotency_key_in_use" | "sales_paused" | "currency_locked" | "not_sold_out" | "too_many_waitlists" | "conflict" | "payload_too_large" | "unsupported_media_type" | "rate_limited" | "headers_too_large" | "internal" | "service_unavailable" | "auth_busy" | "line_recovering" | "unknown_event" | "invalid_payload" | "unavailable" | "too_many_watched";
        /**
         * @description What went wrong: a stable `code` to match on, a human `message`, and for some codes
         *     details beside them.
         */
        ErrorDetail: {
            code: components["schemas"]["ErrorCode"];
            message: string;
            /**
             * @description `seat_unavailable`: the seats someone else holds or bought; `seat_not_found`: the
             *     seats that are not the event's.
             */
            seatIds?: string[];
            /**
             * Format: int64
             * @description `customer_limit`: the event's per-customer limit.
             */
            limit?: number;
            /**
             * Format: int64
             * @description `customer_limit`: how many more the caller may take.
             */
            remaining?: number;
            /**
             * @description `invalid_field`: the first bad field's path in the body (`capacity`,
             *     `ticketTypes[0].price`, `seatMap.sections[1].rows`).
             */
            field?: string;
            /** @description `invalid_field`: every bad field found, in body order. */
            fields?: components["schemas"]["FieldError"][];
        };
        Event: {
            id: components["schemas"]["EventId"];
            name: string;
            venue: string;
            /**
             * @description ISO 4217 code of the currency every price of the event is in (in its minor units).
             * @example KRW
             */
            currency: string;
            /**
             * @description IANA name of the venue's time zone, in which the web app shows the event's times.
             * @example Asia/Seoul
             */
            timeZone: string;
            /** Format: date-time */
            startsAt: string;
            /** Format: date-time */
            saleOpensAt: string;
            hasSeatMap: boolean;
            /** Format: int64 */
            capacity: number;
            /** Format: double */
            admitRatePerSec: number;
            /** Format: int64 */
            holdSeconds: number;
            /**
             * Format: int64
             * @description How long an admission from the waiting room lasts (renewed while the shopper is active).
             */
            admissionTtlSeconds: number;
            /**
             * Format: int64
             * @description How long an admitted shopper may idle before the slot goes to the next in line.
             */
            idleTimeoutSeconds: number;
            /**
             * Format: int64
             * @description Seats and tickets one user may have in pending and paid reservations of this event.
             */
            maxTicketsPerCustomer: number;
            /** @description Joining this event's waiting room needs a solved proof-of-work bot check. */
            botCheck: boolean;
            /**
             * @description While true, holds answer `409 sales_paused` and the waiting room admits nobody
             *     (joins still take numbers, and keep them).
             */
            salesPaused: boolean;
            /**
             * @description How the waiting room admits: `auto` (at once while there is room and nobody waits),
             *     `on` (everyone takes a number), `off` (everyone at once, whatever the capacity).
             */
            waitingRoom: components["schemas"]["WaitingRoomMode"];
            ticketTypes: components["schemas"]["TicketType"][];
        };
        /** @description An event's id. */
        EventId: string;
        /**
         * @description The body of `PATCH /api/admin/events/{eventId}`, as sent: any of the event's settings.
         *     Ticket types and the seat map are not changed here (an unknown field is `invalid_body`).
         */
        EventPatchSpec: {
            name?: string | null;
            venue?: string | null;
            /**
             * @description Only while the event has no reservation at all (else `409 currency_locked`): the
             *     prices stay the same numbers, now in minor units of this currency.
             * @example KRW
             */
            currency?: string | null;
            /**
             * @description IANA name of the venue's time zone.
             * @example Asia/Seoul
             */
            timeZone?: string | null;
            /**
             * Format: date-time
             * @description RFC 3339.
             */
            startsAt?: string | null;
            /**
             * Format: date-time
             * @description RFC 3339.
             */
            saleOpensAt?: string | null;
            /** Format: int64 */
            capacity?: number | null;
            /** Format: double */
            admitRatePerSec?: number | null;
            /**
             * Format: int64
             * @description Applies to holds made from now on.
             */
            holdSeconds?: number | null;
            /** Format: int64 */
            admissionTtlSeconds?: number | null;
            /** Format: int64 */
            idleTimeoutSeconds?: number | null;
            /** Format: int64 */
            maxTicketsPerCustomer?: number | null;
            botCheck?: boolean | null;
            /** @description While true, holds answer `409 sales_paused` and the waiting room admits nobody. */
            salesPaused?: boolean | null;
            waitingRoom?: null | components["schemas"]["WaitingRoomMode"];
        };
        EventRef: {
            eventId: components["schemas"]["EventId"];
        };
        /** @description The body of `POST /api/admin/events`, as sent. */
        EventSpec: {
            name: string;
            venue?: string;
            /**
             * @description ISO 4217 code the prices are in (minor units); default the server's `DEFAULT_CURRENCY`
             *     (`USD` unless set). Fixed once the event has a reservation.
             * @example KRW
             */
            currency?: string | null;
            /**
             * @description IANA name of the venue's time zone; default `UTC`.
             * @example Asia/Seoul
             */
            timeZone?: string | null;
            /**
             * Format: date-time
             * @description RFC 3339.
             */
            startsAt: string;
            /**
             * Format: date-time
             * @description RFC 3339; default: open now.
             */
            saleOpensAt?: string | null;
            /**
             * Format: int64
             * @description Shoppers admitted at once; default 1000.
             */
            capacity?: number | null;
            /**
             * Format: double
             * @description Default 10.
             */
            admitRatePerSec?: number | null;
            /**
             * Format: int64
             * @description How long a hold lasts; default 600.
             */
            holdSeconds?: number | null;
            /**
             * Format: int64
             * @description How long a turn lasts; default 600.
             */
            admissionTtlSeconds?: number | null;
            /**
             * Format: int64
             * @description Default 300.
             */
            idleTimeoutSeconds?: number | null;
            /**
             * Format: int64
             * @description Default 10.
             */
            maxTicketsPerCustomer?: number | null;
            /** @description Joining the line needs a solved bot check; default false. */
            botCheck?: boolean | null;
            ticketTypes: components["schemas"]["TicketTypeSpec"][];
            seatMap?: null | components["schemas"]["SeatMapSpec"];
        };
        /** @description An event as `GET /api/events/:id` returns it: the event plus its waiting line. */
        EventWithQueue: components["schemas"]["Event"] & {
            queue: components["schemas"]["QueueSummary"];
        };
        /**
         * @description One bad field of a request body: its path in the body (`capacity`,
         *     `ticketTypes[0].price`) and what is wrong with it.
         */
        FieldError: {
            field: string;
            message: string;
        };
        /**
         * @description One row: straight (`first`, `count`, `x`, `y`, `dx`, `dy`: seat k at (x + k·dx, y + k·dy),
         *     number first + k), an arc (`first`, `count`, `cx`, `cy`, `r`, `a`, `da`: seat k at
         *     (cx + r·cos(a + k·da), cy + r·sin(a + k·da)), radians), or explicit (`numbers`, `points`
         *     as x0, y0, x1, y1, …). `ticketType` overrides the section's; `types` gives one per seat.
         */
        GeoRow: {
            label: string;
            ticketType?: number | null;
            types?: number[] | null;
            /** Format: int64 */
            first?: number | null;
            count?: number | null;
            numbers?: number[] | null;
            /** Format: double */
            x?: number | null;
            /** Format: double */
            y?: number | null;
            /** Format: double */
            dx?: number | null;
            /** Format: double */
            dy?: number | null;
            /** Format: double */
            cx?: number | null;
            /** Format: double */
            cy?: number | null;
            /** Format: double */
            r?: number | null;
            /** Format: double */
            a?: number | null;
            /** Format: double */
            da?: number | null;
            points?: number[] | null;
        };
        GeoSection: {
            name: string;
            /** @description Index into `ticketTypeIds` (in a preview: the section's `ticketTypeIndex`). */
            ticketType: number;
            /**
             * Format: double
             * @description Centre of the front row, as placed.
             */
            x: number;
            /** Format: double */
            y: number;
            /**
             * Format: double
             * @description Degrees clockwise.
             */
            rotation: number;
            /**
             * Format: double
             * @description Degrees of arc each row spans.
             */
            curve: number;
            /** @description Position of the section's first seat; each row's seats follow on. */
            first: number;
            rows: components["schemas"]["GeoRow"][];
        };
        /** @description A seat map's geometry (the wire format of `GET /api/events/{eventId}/seatmap`). */
        Geometry: {
            eventId?: null | components["schemas"]["EventId"];
            seatCount: number;
            /** @description Every seat (with a pitch of room) and the stage lie inside. */
            bounds: components["schemas"]["Bounds"];
            stage?: null | components["schemas"]["Stage"];
            /** @description The event's seated ticket types, which sections and rows name by index. */
            ticketTypeIds: components["schemas"]["TicketTypeId"][];
            ids: components["schemas"]["SeatIds"];
            sections: components["schemas"]["GeoSection"][];
        };
        /** @description `GET /api/health`: the process serves, and which stores it runs on. */
        Health: {
            /** @description Always `ok`. */
            status: string;
            /** @description `sqlite` or `postgres`. */
            database: string;
            /** @description `memory` or `redis`. */
            coordination: string;
        };
        JoinRequest: {
            eventId: components["schemas"]["EventId"];
            /** @description A receipt from an earlier answer: restores the place if the line was lost. */
            receipt?: string | null;
        };
        JoinWaitlist: {
            eventId: components["schemas"]["EventId"];
            ticketTypeId: components["schemas"]["TicketTypeId"];
            /**
             * Format: int64
             * @description 1 to `MAX_TICKETS_PER_ORDER` (default 10), and within the per-customer allowance.
             */
            quantity: number;
        };
        /** @description The caller's place on one waitlist. */
        Joined: {
            eventId: components["schemas"]["EventId"];
            ticketTypeId: components["schemas"]["TicketTypeId"];
            /** Format: int64 */
            quantity: number;
            /**
             * Format: int64
             * @description 1 = the next to be offered.
             */
            position: number;
        };
        /** @description `GET /api/auth/me`: who the bearer token names. */
        Me: {
            user: components["schemas"]["TokenUser"];
        };
        MetricsSnapshot: {
            /** Format: int64 */
            changesIn: number;
            /** Format: int64 */
            pushesOut: number;
            /** Format: int64 */
            feedLagged: number;
            /** Format: int64 */
            redisDropped: number;
            /** Format: int64 */
            clusterPushFailures: number;
            /** Format: int64 */
            socketQueueFull: number;
            /** Format: int64 */
            socketsConnected: number;
            /** Format: int64 */
            socketsRefused: number;
            /** Format: int64 */
            socketsTooMany: number;
            /** Format: int64 */
            socketCountUnavailable: number;
            /** Format: int64 */
            socketEventsLimited: number;
            /** Format: int64 */
            socketsDisconnectedForAbuse: number;
            /** Format: int64 */
            snapshotCacheHits: number;
            /** Format: int64 */
            snapshotCacheLoads: number;
            /** Format: int64 */
            botCheckPassed: number;
            /** Format: int64 */
            botCheckRequired: number;
            /** Format: int64 */
            botCheckFailed: number;
            /** Format: int64 */
            authBusy: number;
            /** Format: int64 */
            rateLimited: number;
            /** Format: int64 */
            payloadTooLarge: number;
            /** Format: int64 */
            customerLimit: number;
            /** Format: int64 */
            headersTooLarge: number;
            /** Format: int64 */
            lineLosses: number;
        };
        NewUser: {
            /** Format: email */
            email: string;
            /** @description 8 to 128 characters. */
            password: string;
            /** @description 1 to 100 characters (surrounding blanks are dropped). */
            name: string;
        };
        /**
         * @description A queue answer: the user's place, and `isActive` (the contract's name for "may shop now",
         *     the same as `admitted`).
         */
        QueueAnswer: components["schemas"]["QueuePosition"] & {
            isActive: boolean;
        };
        /** @description One user's place in an event's line, as `queue:position` and the queue REST calls show it. */
        QueuePosition: {
            eventId: components["schemas"]["EventId"];
            /**
             * Format: int64
             * @description 1-based place in line; `None` once admitted (or when there is no line).
             */
            position: number | null;
            /** Format: int64 */
            totalWaiting: number;
            /**
             * Format: int64
             * @description Seconds.
             */
            estimatedWaitTime: number;
            /**
             * Format: int64
             * @description The user's ticket number in line; place = number - servingNumber.
             */
            number: number | null;
            admitted: boolean;
            /** @description While admitted: the token for `X-Admission-Token`. */
            admissionToken?: string;
            /**
             * Format: date-time
             * @description While admitted: when the shopper's turn ends, whatever they do meanwhile.
             */
            turnEndsAt?: string;
            /**
             * @description A signed proof of the user's place (number, or joined before the sale opened): sent
             *     back with a join, it restores the place if the line's state was lost. `null` when the
             *     user has no place to keep (admitted, not in line).
             */
            receipt: string | null;
            /** @description The line is being rebuilt after its state was lost (a recovery window is open). */
            recovering: boolean;
        };
        /** @description The line's state as `GET /api/events/:id` shows it. */
        QueueSummary: {
            /** @description True while joiners have to wait (a surge). */
            active: boolean;
            /** Format: int64 */
            capacity: number;
            /** Format: int64 */
            activeShoppers: number;
            /** Format: int64 */
            totalWaiting: number;
            /** Format: double */
            admitRatePerSec: number;
            /**
             * Format: int64
             * @description The last number let in; a waiting user's place is their number minus this.
             */
            servingNumber: number;
            /**
             * Format: double
             * @description Admissions per second actually seen (moving average).
             */
            measuredAdmitRate: number;
            /** Format: int64 */
            admissionTtlSeconds: number;
            /** Format: int64 */
            idleTimeoutSeconds: number;
        };
        Reservation: {
            id: components["schemas"]["ReservationId"];
            eventId: components["schemas"]["EventId"];
            status: components["schemas"]["ReservationStatus"];
            /** Format: date-time */
            expiresAt: string;
            /** Format: date-time */
            createdAt: string;
            items: components["schemas"]["ReservationItem"][];
            /**
             * Format: int64
             * @description Minor units of `currency`.
             */
            total: number;
            /**
             * @description The event's currency (ISO 4217), which `total` and the items' prices are in.
             * @example KRW
             */
            currency: string;
        };
        /** @description One reservation, as holds, payments and cancellations answer. */
        ReservationAnswer: {
            reservation: components["schemas"]["Reservation"];
        };
        /** @description A reservation's id (a hold, an order). */
        ReservationId: string;
        ReservationItem: {
            /** @description The seat, for a seated item. */
            seatId?: components["schemas"]["SeatId"];
            ticketTypeId: components["schemas"]["TicketTypeId"];
            /** Format: int64 */
            quantity: number;
            /** Format: int64 */
            price: number;
        };
        /** @enum {string} */
        ReservationStatus: "pending" | "paid" | "cancelled" | "expired";
        ReserveBest: {
            eventId: components["schemas"]["EventId"];
            /**
             * Format: int64
             * @description Adjacent seats wanted in one row: 1 to `MAX_TICKETS_PER_ORDER` (default 10), and
             *     within the caller's remaining per-customer allowance.
             */
            quantity: number;
            ticketTypeId?: null | components["schemas"]["TicketTypeId"];
            /** @description Only seats of this section of the event's seat map (its name). */
            section?: string | null;
        };
        ReserveSeats: {
            eventId: components["schemas"]["EventId"];
            /** @description Distinct seats of the event, at most `MAX_TICKETS_PER_ORDER` (default 10). */
            seatIds: components["schemas"]["SeatId"][];
        };
        ReserveTickets: {
            eventId: components["schemas"]["EventId"];
            ticketTypeId: components["schemas"]["TicketTypeId"];
            /**
             * Format: int64
             * @description 1 to `MAX_TICKETS_PER_ORDER` (default 10).
             */
            quantity: number;
        };
        /** @enum {string} */
        Role: "user" | "admin";
        Seat: {
            id: components["schemas"]["SeatId"];
            section: string;
            row: string;
            /** Format: int64 */
            number: number;
            /** Format: double */
            x: number;
            /** Format: double */
            y: number;
            ticketTypeId: components["schemas"]["TicketTypeId"];
            status: components["schemas"]["SeatStatus"];
            /** Format: int64 */
            version: number;
            /**
             * Format: int64
             * @description The seat's place in the event's ranking, 1 = best (front rows first, then the middle
             *     of each row): the order best available takes seats in. Always sent; optional in the
             *     schema only so that seats a client makes up itself (the admin map preview) need none.
             */
            rank?: number;
            /**
             * Format: int64
             * @description The seat's 0-based index in the event's seat map in canonical order (sections in the
             *     order given, rows front to back, seats by number): its place in the geometry
             *     (`GET /api/events/{eventId}/seatmap`) and the compact status. Always sent; optional
             *     in the schema for the same reason as `rank`.
             */
            position?: number;
        };
        /** @description A seat's id (seats belong to one event). */
        SeatId: string;
        /**
         * @description Seat ids in position order: the seat at position `p` is `prefix + (start + p)` in decimal,
         *     or `list[p]` (events made before ids were derived from positions).
         */
        SeatIds: {
            prefix: string;
            /** Format: int64 */
            start: number;
        } | {
            list: string[];
        };
        /** @description An event's seat map. */
        SeatMap: {
            eventId: components["schemas"]["EventId"];
            seats: components["schemas"]["Seat"][];
        };
        SeatMapSpec: {
            stage?: null | components["schemas"]["StageSpec"];
            /**
             * @description Distinct names; at most 50,000 seats in all. Either every section has `x` and `y` or
             *     none does (the automatic layout).
             */
            sections: components["schemas"]["SectionSpec"][];
        };
        /** @enum {string} */
        SeatStatus: "available" | "held" | "sold";
        SectionSpec: {
            name: string;
            /** Format: int64 */
            rows: number;
            /** Format: int64 */
            seatsPerRow: number;
            /**
             * Format: int64
             * @description Index into `ticketTypes` of the type these seats are.
             */
            ticketTypeIndex: number;
            /**
             * Format: double
             * @description The centre of the front row (row A), in map units (one seat pitch = 24, y down).
             */
            x?: number | null;
            /** Format: double */
            y?: number | null;
            /**
             * Format: double
             * @description Degrees clockwise; 0 = rows run left to right with row A nearest the top (facing a
             *     stage above). Default 0.
             */
            rotation?: number | null;
            /**
             * Format: double
             * @description Degrees of arc each row spans (0 = straight), rows concentric, bending around the
             *     front. Default 0.
             */
            curve?: number | null;
        };
        /** @description A signed-in session: the bearer token and its user. */
        Session: {
            token: string;
            user: components["schemas"]["User"];
        };
        /** @description The stage, a rectangle (top-left corner, size) with a label. */
        Stage: {
            /** Format: double */
            x: number;
            /** Format: double */
            y: number;
            /** Format: double */
            width: number;
            /** Format: double */
            height: number;
            label: string;
        };
        /** @description A stage: its top-left corner and size in map units (one seat pitch = 24), and a label. */
        StageSpec: {
            /** Format: double */
            x: number;
            /** Format: double */
            y: number;
            /** Format: double */
            width: number;
            /** Format: double */
            height: number;
            /** @description Default `Stage`. */
            label?: string | null;
        };
        TicketType: {
            id: components["schemas"]["TicketTypeId"];
            name: string;
            /**
             * Format: int64
             * @description Minor units (cents).
             */
            price: number;
            /** Format: int64 */
            total: number;
            /** Format: int64 */
            remainingQuantity: number;
            /** @description True when the stock is the seats of a seat map (hold seats, not quantities). */
            seated: boolean;
            /** Format: int64 */
            version: number;
        };
        /** @description A ticket type's id (ticket types belong to one event). */
        TicketTypeId: string;
        TicketTypeSpec: {
            name: string;
            /**
             * Format: int64
             * @description Minor units of the event's currency (cents of USD, won of KRW): at most 100,000,000
             *     whatever the currency (USD 1,000,000.00, KRW 100,000,000).
             */
            price: number;
            /**
             * Format: int64
             * @description General-admission stock; a seated type's stock is its seats (leave out, or 0).
             */
            quantity?: number | null;
        };
        /** @description The user a token names, as the token says. */
        TokenUser: {
            id: components["schemas"]["UserId"];
            name: string | null;
            role: components["schemas"]["Role"];
        };
        User: {
            id: components["schemas"]["UserId"];
            /** @description Absent for guests. */
            email?: string;
            name: string;
            role: components["schemas"]["Role"];
            isGuest: boolean;
        };
        /** @description A user's id: a session's subject. */
        UserId: string;
        /**
         * @description How an event's waiting room admits joiners.
         * @enum {string}
         */
        WaitingRoomMode: "auto" | "on" | "off";
        /** @description One entry of the caller's, as `GET /api/waitlist/{eventId}` shows it. */
        WaitlistEntry: {
            eventId: components["schemas"]["EventId"];
            ticketTypeId: components["schemas"]["TicketTypeId"];
            /** Format: int64 */
            quantity: number;
            /**
             * Format: int64
             * @description 1 = the next to be offered: waiting entries of the type that joined earlier, plus one.
             */
            position: number;
            offer?: null | components["schemas"]["Reservation"];
        };
    };
    responses: {
        /** @description `admin_only`: the token is not an administrator's */
        AdminOnly: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ApiError"];
            };
        };
        /** @description `headers_too_large`: the request line and headers are over 32 KiB */
        HeadersTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ApiError"];
            };
        };
        /** @description `internal`: an unexpected failure (logged, never detailed) */
        Internal: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ApiError"];
            };
        };
        /** @description `payload_too_large`: the body is over MAX_BODY_BYTES */
        PayloadTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ApiError"];
            };
        };
        /** @description `rate_limited`: too many requests from this client or user */
        RateLimited: {
            headers: {
                /** @description Seconds until a request may succeed */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ApiError"];
            };
        };
        /** @description `auth_required` (no bearer token), `invalid_token`, `token_expired` */
        Unauthorized: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ApiError"];
            };
        };
        /** @description `service_unavailable`, `auth_busy` (with Retry-After), `line_recovering`: a backing service is down or saturated; retry */
        Unavailable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ApiError"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    createEvent: {
        parameters: {
            query?: never;
            header?: {
                /** @description The same key and body within 24 h replays the first answer (with `Idempotent-Replayed: true`); another request with the key is `400 idempotency_key_reused`; a key whose first request is still running is `409 idempotency_key_in_use` */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EventSpec"];
            };
        };
        responses: {
            /** @description The event, as `GET /api/events/{event_id}` shows it */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventWithQueue"];
                };
            };
            /** @description `malformed_json`, `invalid_body`, `invalid_field` (with `field` and `fields`); `invalid_idempotency_key`, `idempotency_key_reused` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["AdminOnly"];
            /** @description `idempotency_key_in_use` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    updateEvent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                event_id: components["schemas"]["EventId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EventPatchSpec"];
            };
        };
        responses: {
            /** @description The event, as `GET /api/events/{event_id}` shows it */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventWithQueue"];
                };
            };
            /** @description `malformed_json`, `invalid_body` (an unknown field), `invalid_id`, `invalid_field` (with `field` and `fields`) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["AdminOnly"];
            /** @description `event_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `currency_locked`: a different `currency` once the event has a reservation */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    exportOrders: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                event_id: components["schemas"]["EventId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description RFC 4180 CSV (CRLF line ends): `order_id,paid_at,user_id,email,name,ticket_type,seats,quantity,amount,currency`; `paid_at` RFC 3339, `ticket_type` the order's ticket types joined with `; `, `seats` its seat labels (`section/row/number`) joined with `; `, `amount` in minor units of `currency` (the event's ISO 4217 code). A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`. */
            200: {
                headers: {
                    /** @description `attachment; filename="<eventId>-orders.csv"` */
                    "Content-Disposition"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                };
            };
            /** @description `invalid_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["AdminOnly"];
            /** @description `event_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    previewSeatMap: {
        parameters: {
            query?: never;
            header?: {
                /** @description The same key and body within 24 h replays the first answer (with `Idempotent-Replayed: true`); another request with the key is `400 idempotency_key_reused`; a key whose first request is still running is `409 idempotency_key_in_use` */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SeatMapSpec"];
            };
        };
        responses: {
            /** @description The geometry the seat map would have */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Geometry"];
                };
            };
            /** @description `malformed_json`, `invalid_body`, `invalid_field` (with `field` and `fields`); `invalid_idempotency_key`, `idempotency_key_reused` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["AdminOnly"];
            /** @description `idempotency_key_in_use` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
        };
    };
    guest: {
        parameters: {
            query?: never;
            header?: {
                /** @description A solved ALTCHA payload (base64) */
                "X-Bot-Check"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A guest session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description `guests_disabled`, `bot_check_required`, `bot_check_failed` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Credentials"];
            };
        };
        responses: {
            /** @description Signed in */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description `malformed_json`, `invalid_body` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `invalid_credentials` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The token's user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
        };
    };
    register: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NewUser"];
            };
        };
        responses: {
            /** @description Registered and signed in */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description `malformed_json`, `invalid_body`, `invalid_email`, `invalid_password`, `invalid_name` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `email_taken`, `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    botCheckChallenge: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A fresh challenge (never cached) */
            200: {
                headers: {
                    /** @description `no-store` */
                    "Cache-Control"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Challenge"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
        };
    };
    listEvents: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The catalogue */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Event"][];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getEvent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                event_id: components["schemas"]["EventId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The event and its line */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventWithQueue"];
                };
            };
            /** @description `invalid_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `event_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getAllowance: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                event_id: components["schemas"]["EventId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The caller's allowance */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Allowance"];
                };
            };
            /** @description `invalid_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description `event_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getSeatStatus: {
        parameters: {
            query?: never;
            header?: {
                /** @description An ETag from an earlier answer */
                "If-None-Match"?: string | null;
            };
            path: {
                event_id: components["schemas"]["EventId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The compact seat status */
            200: {
                headers: {
                    /** @description `no-cache` */
                    "Cache-Control"?: string;
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CompactStatus"];
                };
            };
            /** @description Unchanged since the ETag sent */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `invalid_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `event_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getSeatMapGeometry: {
        parameters: {
            query?: never;
            header?: {
                /** @description A geometry's `ETag`: `304` when it matches */
                "If-None-Match"?: string | null;
            };
            path: {
                event_id: components["schemas"]["EventId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The geometry (`ETag`; `Cache-Control: public, max-age=31536000, immutable`) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Geometry"];
                };
            };
            /** @description Not modified: the `If-None-Match` named this geometry */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `invalid_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `event_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getSeats: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                event_id: components["schemas"]["EventId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The seat map */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SeatMap"];
                };
            };
            /** @description `invalid_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `event_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Serving */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description This instance's counters */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MetricsSnapshot"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["AdminOnly"];
            413: components["responses"]["PayloadTooLarge"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
        };
    };
    openapi: {
        parameters: {
            query?: never;
            header?: {
                /** @description An ETag from an earlier answer */
                "If-None-Match"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI 3.1 document */
            200: {
                headers: {
                    "Cache-Control"?: string;
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description Unchanged since the ETag sent */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            413: components["responses"]["PayloadTooLarge"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
        };
    };
    joinQueue: {
        parameters: {
            query?: never;
            header?: {
                /** @description A solved ALTCHA payload, for events with `botCheck` */
                "X-Bot-Check"?: string | null;
                /** @description The same key and body within 24 h replays the first answer (with `Idempotent-Replayed: true`); another request with the key is `400 idempotency_key_reused`; a key whose first request is still running is `409 idempotency_key_in_use` */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["JoinRequest"];
            };
        };
        responses: {
            /** @description The user's place or admission */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueueAnswer"];
                };
            };
            /** @description `malformed_json`, `invalid_body`, `invalid_id`, `invalid_field`; `invalid_idempotency_key`, `idempotency_key_reused` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description `bot_check_required`, `bot_check_failed` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `event_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `idempotency_key_in_use` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    leaveQueue: {
        parameters: {
            query?: never;
            header?: {
                /** @description The same key and body within 24 h replays the first answer (with `Idempotent-Replayed: true`); another request with the key is `400 idempotency_key_reused`; a key whose first request is still running is `409 idempotency_key_in_use` */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EventRef"];
            };
        };
        responses: {
            /** @description Left */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `malformed_json`, `invalid_body`, `invalid_id`; `invalid_idempotency_key`, `idempotency_key_reused` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description `event_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `idempotency_key_in_use` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    queueStatus: {
        parameters: {
            query?: never;
            header?: {
                /** @description The event's admission token, if the user has one */
                "X-Admission-Token"?: string | null;
            };
            path: {
                event_id: components["schemas"]["EventId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user's place or admission */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueueAnswer"];
                };
            };
            /** @description `invalid_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description `event_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    myReservations: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The caller's reservations */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Reservation"][];
                };
            };
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    holdTickets: {
        parameters: {
            query?: never;
            header?: {
                /** @description The event's admission token from the waiting room */
                "X-Admission-Token"?: string | null;
                /** @description The same key and body within 24 h replays the first answer (with `Idempotent-Replayed: true`); another request with the key is `400 idempotency_key_reused`; a key whose first request is still running is `409 idempotency_key_in_use` */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReserveTickets"];
            };
        };
        responses: {
            /** @description Held */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReservationAnswer"];
                };
            };
            /** @description `malformed_json`, `invalid_body`, `invalid_id`, `invalid_quantity`, `too_many_tickets`, `seated_ticket_type`; `invalid_idempotency_key`, `idempotency_key_reused` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description `not_admitted` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `event_not_found`, `ticket_type_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `sold_out`, `customer_limit` (with `limit`, `remaining`); `idempotency_key_in_use` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    cancelReservation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["schemas"]["ReservationId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Cancelled */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReservationAnswer"];
                };
            };
            /** @description `invalid_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description `not_owner` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `reservation_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `reservation_cancelled`, `hold_expired`, `reservation_changed` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    payReservation: {
        parameters: {
            query?: never;
            header?: {
                /** @description The same key and body within 24 h replays the first answer (with `Idempotent-Replayed: true`); another request with the key is `400 idempotency_key_reused`; a key whose first request is still running is `409 idempotency_key_in_use` */
                "Idempotency-Key"?: string;
            };
            path: {
                id: components["schemas"]["ReservationId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Paid */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReservationAnswer"];
                };
            };
            /** @description `invalid_id`; `invalid_idempotency_key`, `idempotency_key_reused` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description `not_owner` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `reservation_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `hold_expired`, `already_paid`, `reservation_cancelled`, `reservation_changed`; `idempotency_key_in_use` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    holdBestSeats: {
        parameters: {
            query?: never;
            header?: {
                /** @description The event's admission token from the waiting room */
                "X-Admission-Token"?: string | null;
                /** @description The same key and body within 24 h replays the first answer (with `Idempotent-Replayed: true`); another request with the key is `400 idempotency_key_reused`; a key whose first request is still running is `409 idempotency_key_in_use` */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReserveBest"];
            };
        };
        responses: {
            /** @description Held: the block's seats, in seat order */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReservationAnswer"];
                };
            };
            /** @description `malformed_json`, `invalid_body`, `invalid_id`, `invalid_quantity`, `too_many_tickets`, `invalid_field` (`section` not in the seat map, `ticketTypeId` not seated); `invalid_idempotency_key`, `idempotency_key_reused` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description `not_admitted` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `event_not_found`, `ticket_type_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `no_adjacent_seats` (with `quantity`), `customer_limit` (with `limit`, `remaining`), `sales_paused`; `idempotency_key_in_use` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    holdSeats: {
        parameters: {
            query?: never;
            header?: {
                /** @description The event's admission token from the waiting room */
                "X-Admission-Token"?: string | null;
                /** @description The same key and body within 24 h replays the first answer (with `Idempotent-Replayed: true`); another request with the key is `400 idempotency_key_reused`; a key whose first request is still running is `409 idempotency_key_in_use` */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReserveSeats"];
            };
        };
        responses: {
            /** @description Held */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReservationAnswer"];
                };
            };
            /** @description `malformed_json`, `invalid_body`, `invalid_id`, `invalid_seat_ids`, `duplicate_seat_ids`, `too_many_tickets`; `invalid_idempotency_key`, `idempotency_key_reused` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description `not_admitted` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `event_not_found`, `seat_not_found` (with `seatIds`) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `seat_unavailable` (with `seatIds`), `customer_limit` (with `limit`, `remaining`); `idempotency_key_in_use` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    joinWaitlist: {
        parameters: {
            query?: never;
            header?: {
                /** @description The same key and body within 24 h replays the first answer (with `Idempotent-Replayed: true`); another request with the key is `400 idempotency_key_reused`; a key whose first request is still running is `409 idempotency_key_in_use` */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["JoinWaitlist"];
            };
        };
        responses: {
            /** @description Already on it: quantity changed, place kept */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Joined"];
                };
            };
            /** @description On the waitlist */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Joined"];
                };
            };
            /** @description `malformed_json`, `invalid_body`, `invalid_id`, `invalid_quantity`; `invalid_idempotency_key`, `idempotency_key_reused` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description `event_not_found`, `ticket_type_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_sold_out`, `customer_limit` (with `limit`, `remaining`), `too_many_waitlists`; `idempotency_key_in_use` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    myWaitlist: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                event_id: components["schemas"]["EventId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The caller's entries */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Entries"];
                };
            };
            /** @description `invalid_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            /** @description `event_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    leaveWaitlist: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                event_id: components["schemas"]["EventId"];
                ticket_type_id: components["schemas"]["TicketTypeId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Not on that waitlist (any more) */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `invalid_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            401: components["responses"]["Unauthorized"];
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            431: components["responses"]["HeadersTooLarge"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
}

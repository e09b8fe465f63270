-- Ride service: known destinations, the fleet, ride requests and the day plans of the
-- dispatcher. Same conventions as the first schema (TEXT ids, RFC 3339 UTC timestamps,
-- BIGINT flags); coordinates are DOUBLE PRECISION (REAL affinity in SQLite).
-- Clock times of the service ('HH:MM', 'YYYY-MM-DDTHH:MM') are local German time, as
-- said on the phone: a 9:00 appointment stays 9:00 whatever the UTC offset.

-- Destinations the phone dialog can offer by name. Ids are readable slugs from the
-- imported directory file, like office ids.
CREATE TABLE places (
    id         TEXT PRIMARY KEY,
    -- NULL: offered to callers of every office.
    office_id  TEXT REFERENCES offices (id),
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('practice', 'hospital', 'pharmacy', 'service', 'home')),
    address    TEXT NOT NULL,
    postcode   TEXT,
    lat        DOUBLE PRECISION NOT NULL,
    lon        DOUBLE PRECISION NOT NULL,
    -- Other names callers use for the place, separated by ';' ("Dr. Sommer; Augenarzt").
    aliases    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX places_office ON places (office_id, name);

CREATE TABLE vehicles (
    id                TEXT PRIMARY KEY,
    office_id         TEXT NOT NULL REFERENCES offices (id),
    name              TEXT NOT NULL,
    depot_lat         DOUBLE PRECISION NOT NULL,
    depot_lon         DOUBLE PRECISION NOT NULL,
    -- The driver's shift, 'HH:MM' local: leave the depot no earlier, be back by the end.
    shift_start       TEXT NOT NULL,
    shift_end         TEXT NOT NULL,
    seats             BIGINT NOT NULL CHECK (seats >= 0),
    wheelchair_places BIGINT NOT NULL DEFAULT 0 CHECK (wheelchair_places >= 0),
    max_route_minutes BIGINT NOT NULL CHECK (max_route_minutes > 0),
    active            BIGINT NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL
);
CREATE INDEX vehicles_office ON vehicles (office_id, active);

-- One trip of one person (with a companion, if any). pickup_* is where they get in,
-- destination* where they get out: a return trip starts at the practice.
CREATE TABLE ride_requests (
    id                   TEXT PRIMARY KEY,
    office_id            TEXT NOT NULL REFERENCES offices (id),
    person_id            TEXT REFERENCES people (id),
    ticket_id            TEXT REFERENCES tickets (id),
    call_id              TEXT REFERENCES calls (id),
    service_date         TEXT NOT NULL,
    pickup_address       TEXT NOT NULL,
    -- NULL: the address is not verified yet (staff must look it up); not planned until then.
    pickup_lat           DOUBLE PRECISION,
    pickup_lon           DOUBLE PRECISION,
    destination_place_id TEXT REFERENCES places (id),
    destination          TEXT NOT NULL,
    destination_lat      DOUBLE PRECISION,
    destination_lon      DOUBLE PRECISION,
    -- Start of the appointment, local 'YYYY-MM-DDTHH:MM', and its expected length: an
    -- outbound trip arrives by the start, a return trip is picked up after the end.
    appointment_at       TEXT NOT NULL,
    appointment_minutes  BIGINT NOT NULL DEFAULT 0 CHECK (appointment_minutes >= 0),
    direction            TEXT NOT NULL CHECK (direction IN ('outbound', 'return')),
    -- The outbound trip this return trip belongs to.
    return_of            TEXT REFERENCES ride_requests (id),
    wheelchair           BIGINT NOT NULL DEFAULT 0,
    rollator             BIGINT NOT NULL DEFAULT 0,
    companion            BIGINT NOT NULL DEFAULT 0,
    -- Seats taken (a wheelchair user takes a wheelchair place instead of a seat).
    seats                BIGINT NOT NULL DEFAULT 1 CHECK (seats >= 0),
    status               TEXT NOT NULL DEFAULT 'requested'
                         CHECK (status IN ('requested', 'verified', 'planned', 'declined', 'cancelled')),
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    CHECK (return_of IS NULL OR direction = 'return'),
    CHECK ((pickup_lat IS NULL) = (pickup_lon IS NULL)),
    CHECK ((destination_lat IS NULL) = (destination_lon IS NULL))
);
CREATE INDEX ride_requests_day ON ride_requests (service_date, office_id, status);
CREATE INDEX ride_requests_person ON ride_requests (person_id, service_date);
CREATE INDEX ride_requests_return ON ride_requests (return_of);

-- The dispatcher's plan of a day; planning again replaces it.
CREATE TABLE ride_plans (
    id             TEXT PRIMARY KEY,
    service_date   TEXT NOT NULL UNIQUE,
    created_at     TEXT NOT NULL,
    -- The solver's seed, bit for bit (BIGINT is signed).
    seed           BIGINT NOT NULL,
    -- Total driving time of all routes, minutes.
    cost           DOUBLE PRECISION NOT NULL,
    solver_seconds DOUBLE PRECISION NOT NULL
);

CREATE TABLE ride_stops (
    plan_id      TEXT NOT NULL REFERENCES ride_plans (id) ON DELETE CASCADE,
    vehicle_id   TEXT NOT NULL REFERENCES vehicles (id),
    seq          BIGINT NOT NULL,
    request_id   TEXT NOT NULL REFERENCES ride_requests (id),
    kind         TEXT NOT NULL CHECK (kind IN ('pickup', 'dropoff')),
    -- Local 'YYYY-MM-DDTHH:MM'. arrive_at: the planned time at the stop (the vehicle may
    -- come earlier and wait); depart_at: when it drives on, after helping the person.
    arrive_at    TEXT NOT NULL,
    depart_at    TEXT NOT NULL,
    -- The time window arrive_at had to meet.
    window_start TEXT NOT NULL,
    window_end   TEXT NOT NULL,
    PRIMARY KEY (plan_id, vehicle_id, seq)
);
CREATE INDEX ride_stops_request ON ride_stops (request_id);

-- Requests of the day the plan does not serve, and why: none is dropped silently.
CREATE TABLE ride_plan_unserved (
    plan_id    TEXT NOT NULL REFERENCES ride_plans (id) ON DELETE CASCADE,
    request_id TEXT NOT NULL REFERENCES ride_requests (id),
    -- Stable code for filtering ('address_unverified', 'fleet_busy', ...), and the
    -- explanation for staff in German.
    code       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (plan_id, request_id)
);

-- Offers near the caller and bookings of their dates. Same conventions as the first schema
-- (TEXT ids, RFC 3339 UTC timestamps, BIGINT flags); coordinates are DOUBLE PRECISION.
-- Dates of offers are local German time 'YYYY-MM-DDTHH:MM', as said on the phone.

-- Named parts of town with their postcode and centre: where a caller who gives a postcode
-- or a district name is, for "offers near me". Filled by the directory import.
CREATE TABLE postcode_areas (
    name       TEXT PRIMARY KEY,
    postcode   TEXT NOT NULL,
    lat        DOUBLE PRECISION NOT NULL,
    lon        DOUBLE PRECISION NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX postcode_areas_postcode ON postcode_areas (postcode);

-- Ids are readable slugs from the imported file, so importing it again updates in place.
CREATE TABLE offers (
    id               TEXT PRIMARY KEY,
    -- The office whose callers it is listed for and whose queue gets its bookings.
    office_id        TEXT NOT NULL REFERENCES offices (id),
    category         TEXT NOT NULL
                     CHECK (category IN ('bewegung', 'kultur', 'bildung', 'digital', 'treffpunkt', 'beratung')),
    title            TEXT NOT NULL,
    provider         TEXT NOT NULL,
    -- One or two short sentences, read out on request.
    description      TEXT NOT NULL DEFAULT '',
    -- Where, as said after the title: "im Begegnungszentrum Hörde".
    venue            TEXT NOT NULL,
    address          TEXT NOT NULL,
    postcode         TEXT NOT NULL,
    lat              DOUBLE PRECISION NOT NULL,
    lon              DOUBLE PRECISION NOT NULL,
    -- Per person and date; 0 is free of charge.
    price_cents      BIGINT NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
    wheelchair       BIGINT NOT NULL DEFAULT 0,
    hearing_loop     BIGINT NOT NULL DEFAULT 0,
    step_free        BIGINT NOT NULL DEFAULT 0,
    -- Seats per date; NULL: open to all, nothing to book.
    capacity         BIGINT CHECK (capacity IS NULL OR capacity > 0),
    -- Only with a booking (else booking just keeps a seat).
    booking_required BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK (booking_required = 0 OR capacity IS NOT NULL)
);
CREATE INDEX offers_office ON offers (office_id, status);
CREATE INDEX offers_postcode ON offers (postcode, status);

-- Each date of an offer; weekly series are expanded at import, so seats are per date.
CREATE TABLE offer_dates (
    id          TEXT PRIMARY KEY,
    offer_id    TEXT NOT NULL REFERENCES offers (id),
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    -- Only ever changed by one conditional UPDATE that checks the offer's capacity.
    seats_taken BIGINT NOT NULL DEFAULT 0 CHECK (seats_taken >= 0),
    status      TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (offer_id, starts_at)
);
CREATE INDEX offer_dates_starts ON offer_dates (starts_at, status);

CREATE TABLE bookings (
    id            TEXT PRIMARY KEY,
    offer_date_id TEXT NOT NULL REFERENCES offer_dates (id),
    -- The registered person who comes, if known.
    person_id     TEXT REFERENCES people (id),
    -- E.164; where the office reaches whoever booked (a date may be cancelled).
    phone         TEXT NOT NULL,
    -- A caregiver who booked for the person.
    booked_by     TEXT REFERENCES people (id),
    seats         BIGINT NOT NULL CHECK (seats > 0),
    status        TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
    call_id       TEXT REFERENCES calls (id),
    -- The confirmation in the office's queue.
    ticket_id     TEXT REFERENCES tickets (id),
    created_at    TEXT NOT NULL,
    cancelled_at  TEXT
);
CREATE INDEX bookings_date ON bookings (offer_date_id, status);
CREATE INDEX bookings_person ON bookings (person_id, status);

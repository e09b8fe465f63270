-- Caregivers ("Kümmerer") act for a person on the phone: their own number is registered
-- for the person, and they give a PIN of their own (argon2 hash). Five wrong PINs in a row,
-- across calls, lock the entry until the office unlocks it or sets a new PIN.
ALTER TABLE caregivers ADD COLUMN pin_hash TEXT;
ALTER TABLE caregivers ADD COLUMN pin_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE caregivers ADD COLUMN locked_at TEXT;
-- Calls are matched to caregivers by caller ID.
CREATE INDEX caregivers_phone ON caregivers (phone);

-- The person agrees that their caregivers may act for them on the phone (book, ask for
-- rides and callbacks, hear their appointments). Without it caregiver entries stay unused.
ALTER TABLE people ADD COLUMN consent_caregivers BIGINT NOT NULL DEFAULT 0;

-- Which caregiver acted for the person. No foreign key on purpose: removing a caregiver
-- must not rewrite or block the history of what they did. (bookings.booked_by points at
-- people and stays unused: caregivers are not people rows.)
ALTER TABLE tickets ADD COLUMN caregiver_id TEXT;
ALTER TABLE bookings ADD COLUMN caregiver_id TEXT;

-- Where a registered person lives, once staff have checked the address: rides booked by
-- phone are picked up there and can be planned at once.
ALTER TABLE people ADD COLUMN home_lat DOUBLE PRECISION;
ALTER TABLE people ADD COLUMN home_lon DOUBLE PRECISION;

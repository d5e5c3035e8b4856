-- The serial number of each AP census file produced, per census date (header SerialNo).
CREATE TABLE IF NOT EXISTS census_serials (
    census_date  date PRIMARY KEY,
    serial_no    integer NOT NULL
);

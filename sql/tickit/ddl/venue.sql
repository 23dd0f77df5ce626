CREATE TABLE IF NOT EXISTS tickit.venue (
    venueid SMALLINT NOT NULL DISTKEY SORTKEY,
    venuename VARCHAR(100),
    venuecity VARCHAR(30),
    venuestate CHAR(2),
    venueseats INTEGER
);

CREATE TABLE IF NOT EXISTS tickit.listing (
    listid INTEGER NOT NULL DISTKEY,
    sellerid INTEGER NOT NULL,
    eventid INTEGER NOT NULL,
    dateid SMALLINT NOT NULL SORTKEY,
    numtickets SMALLINT NOT NULL,
    priceperticket DECIMAL(8, 2),
    totalprice DECIMAL(8, 2),
    listtime TIMESTAMP
);

# Every time the back-office writes says which zone it is in ("T": CST, UTC, CET...): operators
# and suppliers read them in different zones, and storage is UTC.
DATETIME_FORMAT = "j M Y, H:i T"

# Every time the back-office writes says which zone it is in ("T": CST, UTC, CET...): operators
# and suppliers read them in different zones, and storage is UTC.
DATETIME_FORMAT = "Y年n月j日 H:i T"

#!/bin/sh
# The postgres image runs this once, when its data volume is new: the owner and app roles and
# the marketplace database (deploy/postgres/roles.sql; passwords from docker-compose.yml).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner="$MARKETPLACE_DB_OWNER" -v owner_password="$MARKETPLACE_DB_OWNER_PASSWORD" \
    -v app="$MARKETPLACE_DB_APP" -v app_password="$MARKETPLACE_DB_APP_PASSWORD" \
    -v database="$MARKETPLACE_DB_NAME" \
    -f /marketplace/roles.sql

-- The two database roles of a deployment (docs/deployment.md):
--   owner  owns the database and every table; `manage.py migrate` (and only it) runs as it;
--   app    what the web server, the workers and beat connect as: it reads and writes rows
--          (SELECT, INSERT, UPDATE, DELETE; the sequences for new ids) and nothing else. It owns
--          nothing, so it cannot TRUNCATE, ALTER or DROP a table, nor create one.
--
-- Run once, as a superuser, with psql (the variables name the roles, their passwords and the
-- database, which this script creates):
--   psql -v ON_ERROR_STOP=1 -v owner=marketplace_owner -v owner_password=... \
--        -v app=marketplace_app -v app_password=... -v database=marketplace -f roles.sql
-- docker-compose.yml runs it through deploy/postgres/init-roles.sh when the volume is new.

CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE DATABASE :"database" OWNER :"owner";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"app";

\connect :"database"

-- Only the owner creates objects (PostgreSQL 15 and later already refuse PUBLIC; older ones
-- let anyone create tables in public).
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";

-- Every table and sequence the owner's migrations create, now and later.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";

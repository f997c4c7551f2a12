-- VOM Case Manager: the database and its two roles. Run once as the postgres superuser:
--   runuser -u postgres -- psql -v ON_ERROR_STOP=1 -v owner_password="'…'" -v app_password="'…'" -f postgres-roles.sql
-- vom_owner owns the tables (migrate and restore run as it); vom_app is what the services use: it reads and
-- writes rows but owns nothing, so it cannot drop, alter or truncate a table, nor disable the audit trail's
-- append-only trigger. After the first migrate, run postgres-audit-grants.sql.
CREATE ROLE vom_owner LOGIN PASSWORD :owner_password;
CREATE ROLE vom_app LOGIN PASSWORD :app_password;
CREATE DATABASE vom OWNER vom_owner ENCODING 'UTF8';
\connect vom
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO vom_owner;
GRANT USAGE ON SCHEMA public TO vom_app;
ALTER DEFAULT PRIVILEGES FOR ROLE vom_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO vom_app;
ALTER DEFAULT PRIVILEGES FOR ROLE vom_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO vom_app;

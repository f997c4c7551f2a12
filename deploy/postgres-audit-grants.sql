-- VOM Case Manager: after `vom-manage --owner migrate` created the audit table, take UPDATE and DELETE on it
-- away from the application's role (it only ever appends). Run as postgres: psql -d vom -f postgres-audit-grants.sql
REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM vom_app;

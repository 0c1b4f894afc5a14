-- alliance_bi: the read-only role BI tools are granted (NOLOGIN; grant it to a login role).
-- It reads the mart schema and nothing else. Roles are server-wide and several warehouse
-- databases may share a server, so the role is created only if missing, race-safe. Where the
-- migrating user may not create roles, an administrator creates alliance_bi beforehand.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'alliance_bi') THEN
        CREATE ROLE alliance_bi NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;  -- created meanwhile by another database
END
$$;

GRANT USAGE ON SCHEMA mart TO alliance_bi;
GRANT SELECT ON ALL TABLES IN SCHEMA mart TO alliance_bi;
-- Tables created later in mart by the migrating role are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA mart GRANT SELECT ON TABLES TO alliance_bi;

REVOKE ALL ON SCHEMA ops FROM PUBLIC;
REVOKE ALL ON SCHEMA ops FROM alliance_bi;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

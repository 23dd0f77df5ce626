-- What the DataHub Redshift recipe's database user (recipes/redshift.yml) may read, run by
-- deploy/redshift_bootstrap.py as the namespace's admin after 01_users.sql and
-- 02_pipeline_grants.sql:
--   params.datahub_user: the recipe's user (its name and password in the DataHub Redshift
--     secret);
--   params.pipeline_user: the user the DAGs' Data API statements run as, which owns the
--     tables: "IAMR:<MWAA execution role name>" with IAM authentication.
-- USAGE and SELECT let the recipe read the schema; the default privileges cover tables
-- the pipeline creates later; SYSLOG ACCESS UNRESTRICTED lets it see other users' COPY
-- and UNLOAD in the system tables, which is where its lineage comes from.
GRANT USAGE ON SCHEMA tickit TO {{ params.datahub_user }};

GRANT SELECT ON ALL TABLES IN SCHEMA tickit TO {{ params.datahub_user }};

ALTER DEFAULT PRIVILEGES FOR USER {{ params.pipeline_user }} IN SCHEMA tickit
GRANT SELECT ON TABLES TO {{ params.datahub_user }};

ALTER USER {{ params.datahub_user }} SYSLOG ACCESS UNRESTRICTED;

-- What the pipeline user may do beyond PUBLIC: create the schemas its DAGs create
-- (tickit__redshift_load's CREATE SCHEMA IF NOT EXISTS tickit). It owns what it creates.
GRANT CREATE ON DATABASE {{ params.database }} TO {{ params.pipeline_user }};

-- The tickit schema exists from the start, owned by the pipeline user as if its DAG had
-- created it, so that the DataHub grants (03_datahub_reader_grants.sql) can name it
-- before the first night.
CREATE SCHEMA IF NOT EXISTS tickit AUTHORIZATION {{ params.pipeline_user }};

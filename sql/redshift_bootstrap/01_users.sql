-- The pipelines' database users, once per namespace, as its admin (deploy/redshift_bootstrap.py
-- renders the params and reads pg_user first, so a second run creates nothing):
--   params.pipeline_user: "IAMR:<MWAA execution role name>", the user Redshift maps the
--     DAGs' Data API calls and IAM logins to; IAM authentication only, so no password;
--   params.datahub_user, params.datahub_password: the DataHub Redshift recipe's user and
--     the password kept in the DataHub Redshift secret, set again on every run so that a
--     rotated secret takes effect.
{% if not params.pipeline_user_exists %}
    CREATE USER {{ params.pipeline_user }} PASSWORD DISABLE;
{% endif %}

{% if params.datahub_user_exists %}
    ALTER USER {{ params.datahub_user }} PASSWORD {{ params.datahub_password }};
{% else %}
    CREATE USER {{ params.datahub_user }} PASSWORD {{ params.datahub_password }};
{% endif %}

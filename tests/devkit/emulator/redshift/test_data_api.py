"""Redshift Data API through boto3: statements really run on PostgreSQL."""


def test_ddl_insert_then_select_returns_rows(redshift, local_aws):
    redshift.ok(
        "create schema tickit; create table tickit.date (dateid smallint not null distkey sortkey,"
        " caldate date not null, holiday boolean) diststyle key sortkey (dateid)"
    )
    desc = redshift.ok(
        "insert into tickit.date values (1, '2008-01-01', false), (2, '2008-01-02', true)"
    )
    assert desc["ResultRows"] == 2 and desc["HasResultSet"] is False
    assert redshift.rows("select dateid, caldate, holiday from tickit.date order by 1") == [
        [1, "2008-01-01", False],
        [2, "2008-01-02", True],
    ]
    assert local_aws.statements[-1].sql.startswith("select dateid")
    assert local_aws.statements[-1].status == "FINISHED"


def test_result_metadata_and_nulls(redshift):
    desc = redshift.ok("select 1.50::decimal(8,2) as price, null::int as missing, 'x' as s")
    result = redshift.client.get_statement_result(Id=desc["Id"])
    assert [c["name"] for c in result["ColumnMetadata"]] == ["price", "missing", "s"]
    assert result["ColumnMetadata"][0]["typeName"] == "numeric"
    assert result["Records"] == [[{"stringValue": "1.50"}, {"isNull": True}, {"stringValue": "x"}]]
    assert result["TotalNumRows"] == 1


def test_failing_statement_reports_postgres_error(redshift, local_aws):
    desc = redshift.run("select * from no_such_table")
    assert desc["Status"] == "FAILED"
    assert 'relation "no_such_table" does not exist' in desc["Error"]
    assert local_aws.statements[-1].error == desc["Error"]


def test_batch_with_failing_statement_rolls_back_everything(redshift):
    redshift.ok("create table t (x int); insert into t values (1)")
    desc = redshift.run(
        ["BEGIN;", "DELETE FROM t;", "insert into t values (2)", "bad sql", "COMMIT"]
    )
    assert desc["Status"] == "FAILED"
    assert [s["Status"] for s in desc["SubStatements"]] == [
        "FINISHED",
        "FINISHED",
        "FINISHED",
        "FAILED",
        "ABORTED",
    ]
    assert desc["SubStatements"][3]["Id"] == f"{desc['Id']}:4"
    assert "syntax error" in desc["Error"]
    assert redshift.rows("select x from t") == [[1]]


def test_batch_success_commits_and_sub_statement_results(redshift):
    desc = redshift.ok(["create table u (x int)", "insert into u values (7)", "select x from u"])
    assert len(desc["SubStatements"]) == 3
    result = redshift.client.get_statement_result(Id=desc["SubStatements"][2]["Id"])
    assert result["Records"] == [[{"longValue": 7}]]
    assert redshift.rows("select count(*) from u") == [[1]]


def test_unknown_database_fails(local_aws):
    client = local_aws.client("redshift-data")
    statement = client.execute_statement(Database="nope_db", WorkgroupName="local", Sql="select 1")
    desc = client.describe_statement(Id=statement["Id"])
    assert desc["Status"] == "FAILED" and "nope_db" in desc["Error"]

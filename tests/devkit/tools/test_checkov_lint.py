"""devkit/tools/checkov_lint.py: findings are accepted only with a reason, and stale
acceptances fail like new findings (checkov itself runs in the gate's static check)."""

from __future__ import annotations

import threading

from devkit.iam.infra_policies import INFRA_DIR, load_template
from devkit.paths import REPO
from devkit.tools import checkov_lint, checkov_main


def test_every_accepted_finding_names_a_resource_of_the_templates_and_a_reason():
    resources = {
        f"{resource['Type']}.{logical_id}"
        for path in INFRA_DIR.glob("*.yaml")
        for logical_id, resource in load_template(path)["Resources"].items()
    }
    docs = (REPO / "docs" / "infra.md").read_text()
    for entry in checkov_lint.load_accepted():
        assert entry["resource"] in resources, entry
        assert entry["check"].split("_")[-1] in docs, entry
        assert entry["why"].strip(), entry


def test_new_and_stale_findings_fail(monkeypatch, capsys):
    accepted = [(e["check"], e["resource"], "t") for e in checkov_lint.load_accepted()]
    monkeypatch.setattr(checkov_lint, "findings", lambda templates: accepted)
    assert checkov_lint.main([]) == 0
    extra = ("CKV_AWS_999", "AWS::S3::Bucket.LakeBucket", "Something new")
    monkeypatch.setattr(checkov_lint, "findings", lambda templates: accepted + [extra])
    assert checkov_lint.main([]) == 1
    assert "NEW FINDING  CKV_AWS_999 AWS::S3::Bucket.LakeBucket" in capsys.readouterr().out
    monkeypatch.setattr(checkov_lint, "findings", lambda templates: accepted[1:])
    assert checkov_lint.main([]) == 1
    assert "STALE ACCEPTANCE" in capsys.readouterr().out


def test_checkov_builds_each_jsonpath_parser_once_per_thread_class_and_start():
    """checkov_main's only change to checkov: ply's yacc is called once per key, and a
    thread never shares another's parser (a ply parser is not re-entrant)."""
    built = []

    def build(**options):
        built.append(options)
        return object()

    yacc = checkov_main.remembering(build)

    class Parser:
        pass

    class ExtendedParser(Parser):
        pass

    first = yacc(module=Parser(), start="jsonpath", debug=False, write_tables=0)
    assert yacc(module=Parser(), start="jsonpath", debug=False, write_tables=0) is first
    assert yacc(module=ExtendedParser(), start="jsonpath") is not first
    assert yacc(module=Parser(), start="other") is not first
    assert len(built) == 3 and built[0]["write_tables"] == 0
    in_thread = []
    thread = threading.Thread(
        target=lambda: in_thread.append(yacc(module=Parser(), start="jsonpath"))
    )
    thread.start()
    thread.join()
    assert in_thread[0] is not first and len(built) == 4

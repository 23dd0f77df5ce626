"""The botocore patches keep behaviour: the same User-Agent header, each part cleaned once."""

from __future__ import annotations

from devkit import patches


def test_each_user_agent_part_is_cleaned_once_into_the_same_text():
    from botocore import useragent

    patches.apply_all()
    sanitize = useragent.sanitize_user_agent_string_component
    original = sanitize.__wrapped__
    parts = [("md/Airflow op", True), ("a#b c/é", False), ("a#b c/é", True), ("", True)]
    assert [sanitize(p, allow_hash=h) for p, h in parts] == [
        original(p, allow_hash=h) for p, h in parts
    ]
    assert sanitize("a#b c/é", allow_hash=False) == "a-b-c--"
    hits = sanitize.cache_info().hits
    header = useragent.UserAgentString.from_environment().with_client_config(None).to_string()
    again = useragent.UserAgentString.from_environment().with_client_config(None).to_string()
    assert again == header
    assert sanitize.cache_info().hits > hits  # the second header's parts came from the cache

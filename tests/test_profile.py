"""Traffic profiles (``--profile FILE``): every unusable one is a :class:`ProfileError` naming the key,
the value and what is allowed, never a crash."""

from __future__ import annotations

import json
import math
import re

import pytest

from cdk_serverless_patterns.tooling.cli import main
from cdk_serverless_patterns.tooling.profile import TRAFFIC_HINT, Profile, ProfileError


@pytest.mark.parametrize(
    "data, message",
    [
        ({"paths": {"App/X": 3}}, "paths.App/X=3 is invalid: use an object of settings"),
        ({"paths": {"App/X": ["item_kb"]}}, "paths.App/X=['item_kb'] is invalid: use an object of settings"),
        ({"defaults": 5}, "defaults=5 is invalid: use an object of settings"),
        ({"defaults": None}, "defaults=None is invalid: use an object of settings"),
        ({"paths": []}, "paths=[] is invalid: use an object of construct path -> settings"),
        ({"paths": "App/X"}, "paths='App/X' is invalid: use an object of construct path -> settings"),
    ],
)
def test_a_profile_of_the_wrong_shape_names_the_key_and_the_value(tmp_path, data, message):
    file = tmp_path / "traffic.json"
    file.write_text(json.dumps(data))
    with pytest.raises(ProfileError, match=re.escape(message)):
        Profile.load(file)
    with pytest.raises(ProfileError, match=re.escape(message)):
        Profile(**data)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -1, True, "1000", None])
@pytest.mark.parametrize("name", ["requests_per_month", "avg_duration_ms"])
def test_the_volume_and_duration_are_finite_numbers(name, value):
    with pytest.raises(ProfileError, match=re.escape(f"{name}={value!r} is invalid: use a finite number >= 0")):
        Profile(**{name: value})


@pytest.mark.parametrize("text", ['{"requests_per_month": NaN}', '{"avg_duration_ms": Infinity}',
                                  '{"paths": {"App/X": {"item_kb": NaN}}}', '{"defaults": {"match_rate": NaN}}',
                                  '{"paths": {"App/Api": {"routes": {"GET /": Infinity}}}}'])
def test_nan_and_infinity_in_a_json_profile_are_errors(tmp_path, text):
    file = tmp_path / "traffic.json"
    file.write_text(text)
    with pytest.raises(ProfileError, match="is invalid: use "):
        Profile.load(file)


def test_nan_in_a_toml_profile_is_an_error(tmp_path):
    file = tmp_path / "traffic.toml"
    file.write_text('[paths."App/X"]\nrecords_per_batch = nan\n')
    with pytest.raises(ProfileError, match=re.escape("paths.App/X.records_per_batch=nan is invalid")):
        Profile.load(file)


@pytest.mark.parametrize("key", ["item_kb", "messages_per_event", "match_rate", "records_per_batch",
                                 "transitions_per_execution", "monthly_active_users"])
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_knob_values_are_finite(key, value):
    with pytest.raises(ProfileError, match=re.escape(f"paths.App/X.{key}={value!r} is invalid")):
        Profile(paths={"App/X": {key: value}})


def test_monthly_active_users_may_be_absent_but_a_given_value_is_a_finite_number():
    assert Profile().setting("App/Pool", "monthly_active_users") is None  # one per 1,000 requests
    assert Profile(paths={"App/Pool": {"monthly_active_users": 0}}).setting("App/Pool", "monthly_active_users") == 0
    for bad in (-5, "many", None, math.inf):
        with pytest.raises(ProfileError, match="monthly_active_users=.* is invalid: use a finite number >= 0"):
            Profile(paths={"App/Pool": {"monthly_active_users": bad}})


def test_a_profile_file_that_is_not_utf8_is_an_error(tmp_path):
    file = tmp_path / "traffic.json"
    file.write_bytes(b'{"requests_per_month": 1}\xff\xfe')
    with pytest.raises(ProfileError, match="traffic.json is not UTF-8 text"):
        Profile.load(file)


def test_a_command_line_override_is_checked_too(tmp_path):
    file = tmp_path / "traffic.json"
    file.write_text("{}")
    with pytest.raises(ProfileError, match=re.escape("requests_per_month=nan is invalid")):
        Profile.load(file, requests_per_month=math.nan)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--requests-per-month", "nan"], "requests_per_month=nan is invalid: use a finite number >= 0"),
        (["--avg-duration-ms", "inf"], "avg_duration_ms=inf is invalid: use a finite number >= 0"),
        (["--profile", "{profile}"], "paths.App/X=3 is invalid: use an object of settings"),
    ],
)
def test_the_cost_command_reports_a_bad_profile_in_one_line(tmp_path, capsys, argv, message):
    (tmp_path / "App.template.json").write_text(json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    (tmp_path / "p.json").write_text(json.dumps({"paths": {"App/X": 3}}))
    assert main(["cost", *(a.format(profile=tmp_path / "p.json") for a in argv), str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {message}\n" or (message in captured.err and captured.err.count("\n") == 1)
    assert captured.out == ""


def test_a_bad_hint_in_the_template_is_an_error_naming_the_resource():
    with pytest.raises(ProfileError, match=re.escape(f"{TRAFFIC_HINT} of App/X: records_per_batch='ten' is invalid")):
        Profile().setting("App/X", "records_per_batch", {"records_per_batch": "ten"})
    assert Profile().setting("App/X", "records_per_batch", {"records_per_batch": 5}) == 5

"""The dated price module: every line sourced, dated, sane, and listed in ALL."""

from __future__ import annotations

import math
import re
from datetime import date
from urllib.parse import urlparse

import pytest

from cdk_serverless_patterns.tooling import prices
from cdk_serverless_patterns.tooling.prices import ALL, Price

CACHE_SIZES = {"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"}


def module_prices() -> dict[str, Price]:
    """Every Price the module defines: top-level constants and the entries of dict constants."""
    found: dict[str, Price] = {}
    for name, value in vars(prices).items():
        if isinstance(value, Price):
            found[name] = value
        elif isinstance(value, dict) and name.isupper() and name != "ALL":
            found.update({f"{name}[{key}]": v for key, v in value.items() if isinstance(v, Price)})
    return found


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_price_has_an_aws_source_an_iso_date_and_a_sane_value(name):
    price = ALL[name]
    url = urlparse(price.source)
    assert url.scheme == "https", name
    assert url.hostname == "amazon.com" or (url.hostname or "").endswith(".amazon.com"), name
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", price.checked), name
    assert date.fromisoformat(price.checked) <= date.today(), name
    assert price.unit.strip(), name
    assert math.isfinite(price.usd), name
    if price.usd == 0:
        assert price.note.lower().startswith("free"), f"{name} is zero but its note does not say it is free"
    else:
        assert price.usd > 0, name


def test_all_lists_every_price_the_module_defines_under_its_own_name():
    defined = module_prices()
    assert set(ALL) == set(defined)
    for name, price in defined.items():
        assert ALL[name] is price, name


def test_all_holds_only_prices():
    assert all(isinstance(price, Price) for price in ALL.values())


@pytest.mark.parametrize(
    ("x86", "arm"),
    [
        (prices.LAMBDA_DURATION_X86_GB_SECOND, prices.LAMBDA_DURATION_ARM_GB_SECOND),
        (prices.LAMBDA_PROVISIONED_X86_GB_SECOND, prices.LAMBDA_PROVISIONED_ARM_GB_SECOND),
        (prices.LAMBDA_PROVISIONED_DURATION_X86_GB_SECOND, prices.LAMBDA_PROVISIONED_DURATION_ARM_GB_SECOND),
    ],
)
def test_arm64_is_20_percent_below_x86_64(x86, arm):
    assert x86.unit == arm.unit
    assert f"{arm.usd:.4g}" == f"{x86.usd * 0.8:.4g}"


def test_the_rest_cache_covers_the_eight_sizes_and_grows_with_size():
    assert set(prices.API_REST_CACHE_HOUR) == CACHE_SIZES
    by_size = [prices.API_REST_CACHE_HOUR[size].usd for size in sorted(CACHE_SIZES, key=float)]
    assert by_size == sorted(by_size)
    assert all(price.unit == "hour" for price in prices.API_REST_CACHE_HOUR.values())


def test_dynamodb_on_demand_is_after_the_november_2024_cut():
    # the pre-cut $1.25 / $0.25 still show up in older material
    assert prices.DYNAMODB_WRITE_REQUEST_UNITS_PER_MILLION.usd == 0.625
    assert prices.DYNAMODB_READ_REQUEST_UNITS_PER_MILLION.usd == 0.125


def test_month_constants():
    assert prices.HOURS_PER_MONTH == 730
    assert prices.SECONDS_PER_MONTH == 730 * 3600
    assert prices.COGNITO_PLUS_FREE_MAU == 0 < prices.COGNITO_LITE_FREE_MAU == prices.COGNITO_ESSENTIALS_FREE_MAU

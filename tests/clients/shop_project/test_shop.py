"""A team's tests, marked with the TestRail cases they cover; the case ids come from the
harness that made the cases (SHOP_CASE_PAY, SHOP_CASE_REFUND, SHOP_CASE_GIFT)."""
import os

import pytest
from pytest_testrail.plugin import pytestrail


@pytestrail.case("C" + os.environ["SHOP_CASE_PAY"])
def test_pay_by_card():
    assert sum([19, 23]) == 42


@pytestrail.case("C" + os.environ["SHOP_CASE_REFUND"])
def test_refund():
    answer = "declined"
    assert answer == "refunded", "the gateway declined the refund"


@pytestrail.case("C" + os.environ["SHOP_CASE_GIFT"])
def test_gift_card():
    pytest.skip("gift cards are disabled in this region")

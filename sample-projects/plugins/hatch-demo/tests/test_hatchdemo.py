import math

import hatchdemo


def test_gcd_matches_math():
    for a, b in [(12, 18), (17, 5), (0, 9), (2**31, 2**20)]:
        assert hatchdemo.gcd(a, b) == math.gcd(a, b)


def test_total():
    assert hatchdemo.total([1, 2, 3, -4]) == 2
    assert hatchdemo.total([]) == 0

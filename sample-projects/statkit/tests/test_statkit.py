import random
import statistics

import pytest

import statkit
from statkit._stats import lib


def test_compiled_as_cplusplus():
    assert lib.sk_cplusplus() == 1


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000])
def test_median_matches_statistics(n):
    rng = random.Random(n)
    values = [rng.uniform(-1e3, 1e3) for _ in range(n)]
    assert statkit.median(values) == pytest.approx(statistics.median(values))


def test_median_of_nothing():
    with pytest.raises(ValueError):
        statkit.median([])


def test_sort():
    rng = random.Random(5)
    values = [rng.random() for _ in range(1000)]
    assert statkit.sorted_floats(values) == sorted(values)


def test_unique_count():
    rng = random.Random(9)
    values = [rng.randrange(-50, 50) for _ in range(1000)]
    assert statkit.unique_count(values) == len(set(values))
    assert statkit.unique_count([]) == 0


@pytest.mark.parametrize("q", [0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
def test_percentile_interpolates_like_numpy_linear(q):
    values = [15.0, 20.0, 35.0, 40.0, 50.0]
    pos = q * (len(values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    expected = values[lo] + (values[hi] - values[lo]) * (pos - lo)
    assert statkit.percentile(list(reversed(values)), q) == pytest.approx(expected)


def test_quartiles_match_statistics_inclusive_method():
    rng = random.Random(21)
    values = [rng.gauss(0, 1) for _ in range(99)]
    expected = statistics.quantiles(values, n=4, method="inclusive")
    got = [statkit.percentile(values, q) for q in (0.25, 0.5, 0.75)]
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("q", [-0.1, 1.5, float("nan")])
def test_percentile_rejects_bad_q(q):
    with pytest.raises(ValueError):
        statkit.percentile([1.0], q)

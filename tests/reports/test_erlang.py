"""Erlang C (reports/erlang.py) against published values.

* M/M/1: the probability of waiting is the utilisation ρ; M/M/2 at A = 1: 1/3;
  M/M/3 at A = 2: 4/9 (closed forms of any queueing textbook, e.g. Kleinrock,
  Queueing Systems I, §3.5).
* Westbay Engineers' worked example («The Erlang-C formula»): 360 calls per half
  hour, 4 minutes each (A = 48 erlangs), 55 agents, 15 s target: probability of
  waiting 23.9 %, average speed of answer 8.2 s, service level 84.6 %.
* Call Centre Helper's worked example («Erlang C formula — made simple»): 100
  calls in 30 minutes, 180 s handling (A = 10 erlangs), 80 % in 20 s: 11 agents
  39 %, 12 agents 64 %, 13 agents 79.6 %, 14 agents 88.8 % (probabilities of
  waiting 0.6821, 0.4494, 0.2853, 0.1741): 14 agents are needed.
"""

import math

import pytest

from reports import erlang


@pytest.mark.parametrize(
    ("erlangs", "counters", "expected"),
    [
        (0.5, 1, 0.5),
        (0.9, 1, 0.9),
        (1, 2, 1 / 3),
        (2, 3, 4 / 9),
    ],
)
def test_probability_of_waiting_matches_the_closed_forms(erlangs, counters, expected):
    assert erlang.probability_of_waiting(erlangs, counters) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("counters", "waiting", "level"),
    [(11, 0.6821, 0.390), (12, 0.4494, 0.640), (13, 0.2853, 0.796), (14, 0.1741, 0.888)],
)
def test_the_call_centre_helper_table(counters, waiting, level):
    arrivals_per_hour = 200  # 100 calls in 30 minutes
    assert erlang.traffic(arrivals_per_hour, 180) == pytest.approx(10)
    assert erlang.probability_of_waiting(10, counters) == pytest.approx(waiting, abs=5e-5)
    assert erlang.service_level(arrivals_per_hour, 180, counters, 20) == pytest.approx(level, abs=5e-4)


def test_the_call_centre_helper_example_needs_14_agents_for_80_percent_in_20_seconds():
    assert erlang.counters_needed(200, 180, 20, 0.8) == 14


def test_the_westbay_example():
    arrivals_per_hour, service = 720, 240  # 360 calls per half hour, 4 minutes
    assert erlang.traffic(arrivals_per_hour, service) == pytest.approx(48)
    assert erlang.probability_of_waiting(48, 55) == pytest.approx(0.2387, abs=5e-5)
    assert erlang.average_wait_seconds(arrivals_per_hour, service, 55) == pytest.approx(8.2, abs=0.05)
    assert erlang.service_level(arrivals_per_hour, service, 55, 15) == pytest.approx(0.846, abs=5e-4)
    # 54 agents fall short of 80 % in 15 s (79.3 %), 55 reach it.
    assert erlang.counters_needed(arrivals_per_hour, service, 15, 0.8) == 55


def test_an_overloaded_queue_always_waits_and_is_never_within_the_norm():
    assert erlang.probability_of_waiting(5, 5) == 1
    assert erlang.probability_of_waiting(6, 5) == 1
    assert erlang.service_level(3600, 5, 5, 60) == 0
    assert erlang.average_wait_seconds(3600, 5, 5) == math.inf


def test_no_arrivals_need_no_counters():
    assert erlang.counters_needed(0, 300, 900, 0.8) == 0
    assert erlang.probability_of_waiting(0, 3) == 0
    assert erlang.service_level(0, 300, 0, 900) == 1


def test_more_counters_never_lower_the_service_level_and_the_needed_count_is_the_first_to_reach_it():
    levels = [erlang.service_level(30, 420, n, 600) for n in range(4, 12)]
    assert levels == sorted(levels)
    needed = erlang.counters_needed(30, 420, 600, 0.9)
    assert erlang.service_level(30, 420, needed, 600) >= 0.9 > erlang.service_level(30, 420, needed - 1, 600)


def test_hundreds_of_counters_stay_finite():
    # A^N / N! would overflow a float long before this; the recursion does not.
    assert 0 < erlang.probability_of_waiting(400, 420) < 1
    assert erlang.counters_needed(400 * 3600 / 60, 60, 20, 0.8) > 400

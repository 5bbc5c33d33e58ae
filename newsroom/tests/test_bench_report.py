"""bench/run.py's reading of wrk's output and its table (the load itself is `make bench`)."""

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "bench_run", Path(__file__).resolve().parents[2] / "bench" / "run.py"
)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

FINISHED = """Running 5s test @ http://127.0.0.1:50225
  2 threads and 32 connections
  Latency Distribution
     50%  364.98ms
     75%  653.09ms
     90%  882.86ms
     99%  998.33ms
  378 requests in 5.06s, 7.42MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:     74.77
"""

STUCK = """Running 5s test @ http://127.0.0.1:50225
  2 threads and 32 connections
  Latency Distribution
     50%  303.06ms
     75%  303.06ms
     90%  303.06ms
     99%  303.06ms
  1 requests in 5.01s, 17.61KB read
Requests/sec:      0.20
"""


def row(output: str) -> dict:
    return bench.parse_wrk(output) | {"endpoint": "search", "mode": "cold", "queries": 3}


def test_wrk_output_is_read():
    parsed = bench.parse_wrk(FINISHED)
    assert parsed["requests"] == 378
    assert parsed["rps"] == pytest.approx(74.77)
    assert parsed["p50_ms"] == pytest.approx(364.98)
    assert parsed["p99_ms"] == pytest.approx(998.33)
    assert (parsed["non_2xx_3xx"], parsed["socket_errors"]) == (4, 3)
    assert parsed["bytes_per_response"] == round(7.42 * 1024 * 1024 / 378)


def test_a_run_most_connections_did_not_finish_gives_no_latency():
    lines = bench.table([row(FINISHED), row(STUCK)], connections=32).splitlines()
    assert "| 365.0 | 998.3 | 7 |" in lines[2]
    assert "> run (1 finished)" in lines[3]
    assert "303.1" not in lines[3]


@pytest.mark.django_db
def test_the_desks_live_edits_raise_the_content_generation():
    from articles.tests.factories import PublishedArticleFactory
    from newsroom import cache as public_cache

    spec = importlib.util.spec_from_file_location(
        "bench_django_side", Path(__file__).resolve().parents[2] / "bench" / "django_side.py"
    )
    side = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(side)
    PublishedArticleFactory.create_batch(3)
    before = public_cache.current_generation()

    saves = side.publish(every=0.01, seconds=0.1)

    assert saves >= 5
    assert public_cache.current_generation() >= before + saves

"""Benchmark: the coach at scale (``python -m bench.scale``), the long version of
``tests/integration/test_scale.py``: open-loop load on the single-process
default, the 2-replica production profile and the stock ``rasa init`` bot;
many routines at once; faults (a replica or an action server killed,
PostgreSQL or Redis restarted); a soak. Loopback only, bounded in count and
time; figures for docs/benchmarks.md.
"""

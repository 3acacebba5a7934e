"""Benchmark: what a typed message costs the coach, side by side with the stock
``rasa init`` bot on the same machine, in one run (``python -m bench.speed``).

CPU milliseconds a message (the Rasa server's, and with the action server's),
saturation throughput, latency for one conversation and for many users each
typing every few seconds (open loop), resident memory, and training time.
"""

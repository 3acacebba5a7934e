"""The voice benchmark (``python -m bench.voice``), split by job.

``__main__`` (the command line and the run, phase after phase), ``config``
(what a run measures, where results go), ``corpus`` (what is said), ``audio``
(synthetic voices and noises), ``client`` (talking to a running stack),
``supervisor`` (restarting the stack when it dies), ``local`` (the recogniser
in this process), ``records`` (one recording's result and how it is judged),
one module per phase (``questions``, ``commands``, ``rejection``, ``tuning``,
``latency``), ``thresholds`` (the confidence analysis, no stack needed) and
``report`` (the tables printed at the end).
"""

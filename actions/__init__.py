"""Custom actions of the psoas coach (run with ``rasa run actions``).

One module per concern: ``answers`` (questions and follow-ups), ``safety``
(red flags and health conditions), with the adapters they use behind small
interfaces: ``content`` (the content store), ``safety_screen`` (pattern
matching shared with the NLU pipeline), ``input_checks`` and ``durations``.
"""

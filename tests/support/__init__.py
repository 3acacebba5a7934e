"""Helpers shared by test modules (and only by them): trackers and dispatchers,
speech made at test time, a socket.io client. Test modules import these from
here, never from one another (``tests/test_layout.py``); fixtures stay in the
``conftest.py`` files and may call these."""

"""Guided routines: ``model`` (the data and the slot's state), ``library`` (routines
from ``content/routines.yml``), ``timing`` (the clock arithmetic), ``transitions``
(the moves commands are made of) and ``machine`` (``RoutineMachine``: ``start``,
``handle(state, now, command, arg)`` and ``timer_fired``)."""

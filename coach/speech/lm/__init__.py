"""The speech recogniser's language models, built from the NLU training data.

Rhasspy's lesson: a small recogniser is accurate when it only expects what the
assistant understands. So every time the assistant is trained, this package
turns ``data/`` into three n-gram language models and one pronunciation
dictionary for pocketsphinx (``models/speech/``):

* ``questions.lm``: every NLU example (questions, chit-chat, routine commands,
  safety reports): what the push-to-talk microphone expects;
* ``commands.lm``: the routine commands, red-flag reports and the phrases in
  ``content/speech.yml``: stricter, used while a guided stretch runs;
* ``barge_in.lm``: only "stop", "pause" and pain words: what may interrupt
  the coach while it is speaking; ``barge_in.sentences`` lists them, and the
  recogniser accepts nothing else from this model (``names.closed_form``);
* ``words.dict``: every word of the three models with its pronunciations, from
  cmudict (pocketsphinx's own), ``content/speech.yml`` and, for the rest,
  espeak-ng's phonemes mapped to cmudict's phone set.

One module per job: ``names`` (the models and files, shared with the
recogniser), ``training_data`` (reading ``data/*.yml``), ``normalise`` (text as
a recogniser writes it), ``corpus`` (each model's sentences), ``pronounce``
(the dictionary), ``arpa`` (n-gram models), ``build`` (the build step and its
staleness) and ``__main__`` (``python -m coach.speech.lm [--if-stale]``).
Nothing here is imported at the recogniser's run time but ``names``.
"""

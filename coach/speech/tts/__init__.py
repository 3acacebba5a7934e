"""Speech out: text to audio.

``base`` (the interface, ``Audio``, ``SpeechError``), one module per engine
(``gtts``, ``espeak``), ``fallback`` (a chain of engines), ``cache`` (the
content-addressed audio files) and ``service`` (the chain and cache that the
settings describe).
"""

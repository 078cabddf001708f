"""The pure core: the timing policy, the protocol and the vocabularies, with no I/O.

Nothing here reads a clock, a setting or the database: callers pass ``now`` and the values.
Of Django it uses only lazy translation, for the vocabulary's labels.
"""

"""The ``savedmodel`` command: ``main`` parses, ``inspect`` queries, ``render`` prints."""

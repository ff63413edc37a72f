"""The ``savedmodel`` command line: ``main.py`` parses, ``inspect.py`` queries, ``render.py`` prints."""

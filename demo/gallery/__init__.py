"""The example gallery: classic small problems as short compositions of the library's classes.

Run an example from the repository root with ``python -m demo.gallery.<name>`` (see
``docs/gallery.md``); each module's ``main(smoke=False, seed=0)`` returns its figures.
"""

"""What tests of every kind share: the editor clients (``client``) and the checks on
processes (``processes``). Helpers one directory alone needs stay beside its tests
(``tests/integration/helpers.py``, ``tests/reliability/support.py``, the editor harnesses).

The benchmarks import from here too (never the other way: ``tests/`` imports no ``bench``
module, ``tests/unit/test_test_imports.py``).
"""

"""Every use of another library's private API, one module per library (hydra, keras, optuna).

Each module lists the private names it relies on in ``PRIVATE_API``; the tests in
``tests/compat/`` fail naming the attribute when a release renames or removes it.
"""

"""What a run is told: the structured-config schemas, their checks, the registries, the errors.

Nothing here imports TensorFlow or Keras (``tests/config/test_imports.py``), so
the command line can check a whole sweep before any backend starts.
"""

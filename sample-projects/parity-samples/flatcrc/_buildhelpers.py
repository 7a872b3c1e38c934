"""Shared build settings (a private helper module: never shipped)."""

# setuptools accepted a string here; cffi-forge does too, with a warning.
EXTRA_COMPILE_ARGS = "-DCRC_SEED=7"

"""PEP 517 / PEP 660 build backend for CFFI projects (a thin shim over the cffi-forge binary)."""

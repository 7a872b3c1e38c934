//! `pyproject.toml`: `[build-system]`, `[project]` (PEP 621) and `[tool.cffi-forge]`.

pub mod module_table;

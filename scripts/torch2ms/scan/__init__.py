"""Phase 1: find the files with torch-ecosystem code, give each a status and a category.

detect.py (one file, statically) -> project.py (local imports, statuses) -> run.py (a folder,
in parallel) -> cli.py (`torch2ms scan`, writes the tracker). Data: ecosystem.yaml, signals.yaml,
skip.yaml.
"""

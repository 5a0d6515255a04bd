"""`fasit migrate`: nais/fasit's Feature.yaml (Go templates) turned into fasit's (Jinja).

A pure stage beside the flow of data: text in, text and findings out. Only the command line
(fasit/cli/_migrate.py) reads and writes files.
"""

from __future__ import annotations

from fasit.migrate.feature_file import (
    MARKER,
    Conversion,
    Finding,
    UnreadableFeatureYaml,
    convert_feature_yaml,
)
from fasit.migrate.gotemplate import GoTemplateError, parse
from fasit.migrate.translate import Translation, Untranslated, translate

__all__ = [
    "MARKER",
    "Conversion",
    "Finding",
    "GoTemplateError",
    "Translation",
    "UnreadableFeatureYaml",
    "Untranslated",
    "convert_feature_yaml",
    "parse",
    "translate",
]

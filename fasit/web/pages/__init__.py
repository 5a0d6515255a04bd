"""The dashboard's pages as data: each builds the one dictionary its HTML page renders and its
JSON twin returns, so the two cannot disagree."""

from fasit.web.pages.environments import environment_page, environments_page
from fasit.web.pages.features import feature_page, features_page
from fasit.web.pages.matrix import matrix_page
from fasit.web.pages.overview import overview_page
from fasit.web.pages.release import release_page
from fasit.web.pages.revisions import revisions_page
from fasit.web.pages.rollouts import rollouts_page
from fasit.web.pages.sources import Scopes, Sources

__all__ = [
    "Scopes",
    "Sources",
    "environment_page",
    "environments_page",
    "feature_page",
    "features_page",
    "matrix_page",
    "overview_page",
    "release_page",
    "revisions_page",
    "rollouts_page",
]

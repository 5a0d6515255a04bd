"""fasit: a GitOps controller that deploys Helm-chart features to environments by labels."""

__version__ = "0.1.0"

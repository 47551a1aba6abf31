"""watcher: track Chinese local-government indicators, targets and milestones."""

__version__ = "0.1.0"

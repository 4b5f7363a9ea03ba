"""What sits around the dbt project: building it, publishing and documenting its marts,
the catalogue files astronomers use, the dashboard, and the ``gz-warehouse`` command."""

from ingest import __version__

__all__ = ["__version__"]

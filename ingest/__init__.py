"""Land Zooniverse Panoptes classifications, subjects and workflow versions as parquet."""

__version__ = "0.1.0"

"""Land Zooniverse Panoptes classifications, subjects and workflow versions as parquet."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gz-warehouse")
except PackageNotFoundError:  # run from a checkout that was not installed
    __version__ = "0+unknown"

"""A local Panoptes stand-in with a deterministic Galaxy Zoo sample, and the demo that runs the
whole pipeline on it offline. Users run it (``gz-warehouse standin``, ``gz-warehouse demo``);
the tests and benchmarks serve their data through it."""

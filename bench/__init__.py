"""The benchmark suite of BENCHMARKS.md: ``make bench SCALE=S|M|L`` (see ``bench.run``)."""

"""SECS/GEM (HSMS): the host ingestor and simulated equipment."""

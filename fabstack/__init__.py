"""Core shared by every part: typed settings, service discovery, errors and the `fab` CLI."""

"""The `fab` command line: one module per subcommand group."""

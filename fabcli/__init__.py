"""The `fab` command: one typer app over every part of the stack (the top layer)."""

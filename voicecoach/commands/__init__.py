"""What the smaller CLI commands do: say, check, recognize."""

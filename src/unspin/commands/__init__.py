"""One module per CLI subcommand; cli.py imports them lazily."""

"""The provider report: aggregate article scores per provider, flag low-quality providers, and emit
HTML (inline SVG charts), CSV and JSON. ``unspin report`` is the command line surface."""

"""Example apps: one realistic stack per pattern (see examples/app.py)."""

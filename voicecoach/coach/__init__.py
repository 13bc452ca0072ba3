"""The coaching session: small state machines (screening, rating, exercise, pain check) and the runner."""

"""The detector: pure, batch-oriented classification of posts (no I/O at classify time)."""

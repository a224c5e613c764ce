"""The terminal app (Textual): a thin shell over the runner and the session."""

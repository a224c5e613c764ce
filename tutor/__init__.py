"""tutor: learn the PyTorch workflow in the terminal, one runnable lesson at a time."""

__version__ = "0.1.0"

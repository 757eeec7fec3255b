"""The browser GUI: a FastAPI app over one Session per project folder."""

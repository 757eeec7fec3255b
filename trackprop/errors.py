"""The one exception type users see.

Every check on user input raises `TrackpropError` with a complete sentence that names the thing at
fault (file, frame, object id). The CLI prints it as a single line; library callers can catch it.
"""


class TrackpropError(ValueError):
    """Bad input or an unusable resource, described in one line."""

"""The one exception type users see.

Every check on user input raises `TrackpropError` with a complete sentence that names the thing at
fault (file, frame, object id). The CLI prints it as a single line; library callers can catch it.
"""


class TrackpropError(ValueError):
    """Bad input or an unusable resource, described in one line."""


# Label maps are 8-bit everywhere (as DAVIS PNGs are), so object ids are 1..255: larger ids are
# refused where they come in instead of wrapping silently.
MAX_OBJECT_ID = 255

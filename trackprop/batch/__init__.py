"""`trackprop batch`: many videos in one command, on a local process pool or a Ray cluster."""

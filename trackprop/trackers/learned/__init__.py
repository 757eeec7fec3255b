"""Learned trackers (the paper's ATOM and DaSiamRPN), in PyTorch, with weights trained here."""

"""Evaluation: region and boundary measures, semi-supervised and interactive protocols."""

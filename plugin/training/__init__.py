"""Retraining the NER from corrections, measuring it, and promoting it when it is better."""

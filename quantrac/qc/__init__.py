"""Automatic quality control: pure checks over a series that return flags and reasons."""

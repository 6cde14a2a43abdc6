"""Codecs turn received bytes into plain records (and back); they never touch the database."""

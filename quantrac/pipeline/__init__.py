"""The one ingest pipeline every source goes through: standardize → QC → store → derive."""

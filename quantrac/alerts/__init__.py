"""Alerts: rules that route events (exceedance, offline, data delayed, QC failure) to people and
systems, and the channels that carry them (signed webhook, e-mail), with recorded retries."""

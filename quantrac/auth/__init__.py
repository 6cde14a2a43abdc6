"""Who may do what: users (argon2 passwords), API keys (hashed, shown once), session tokens,
the scope every query is filtered by, rate limits and the audit log of writes."""

"""What every Frontline module shares: configuration, database, people, auth, audit, errors."""

"""Pure rules: survey logic, SMS wording and replies, quiet hours. No Flask, no database."""

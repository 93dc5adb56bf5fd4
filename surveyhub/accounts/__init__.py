"""Accounts: orgs and their keys, surveys, people (respondents), the security log, grace periods."""

"""Services: the only writers. Each takes (database, actor, input) and returns frozen dataclasses.

Every write runs permission check → validation → change → audit event in one transaction.
"""

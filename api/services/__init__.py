"""The service's operations, one module per use case, under every interface
(the JSON API in api.resources; pages and LTI launches to come).

Functions take plain arguments (ids, the caller, validated values) and a
SQLAlchemy session where they read, and return domain values: they never
read the request nor build responses, and access checks stay with the
caller's route. A write either commits in a transaction of its own
(api.db.write_transaction) or, where retries must be safe, comes as a
``prepare``/``work`` pair for api.idempotency.run.
"""

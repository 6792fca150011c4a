"""The kernel every domain uses: configuration, database, clock, errors, accounts, schools, the API,
the scheduler and notifications. It imports no domain package; domains plug in by registering
(navigation, home sections, jobs, notification kinds) from their own ``init_app``.
"""

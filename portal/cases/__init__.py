"""The application layer: the only code that changes state.

One function per thing that happens (a request sent, consent given or withdrawn, a
rating changed, a message sent...). Each is an operation (see `operation.py`): it knows
who is acting, applies every consequence in one transaction (the request, the register
entry, what the family sees, who is told, the audit trail) and flushes them before it
returns. Views, commands and the demo loader call these functions and hold no rules.
"""

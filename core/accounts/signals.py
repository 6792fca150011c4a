"""What accounts announce to the kernel packages built on them (blinker signals).

Accounts sit below sign-in (``core.auth`` loads and signs in accounts), so accounts never call
auth: they announce, and auth, from its ``init_app``, ends the sessions.
"""

from blinker import Namespace

_signals = Namespace()

#: Every session and remember-me login of an account must end: its password was set or reset, or
#: it was disabled. Sent with the account as sender and ``now`` (None: the clock's now).
sessions_must_end = _signals.signal("account-sessions-must-end")

from tests.contests.quiz.factories import (  # noqa: F401 - fixtures
    ctx,
    quiz,
    relogin,
    stored_sessions,
)
from tests.contests.quiz.mounts import full_requests  # noqa: F401 - a fixture

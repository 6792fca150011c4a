from tests.contests.quiz.factories import (  # noqa: F401 - fixtures
    ctx,
    quiz,
    relogin,
    stored_sessions,
)

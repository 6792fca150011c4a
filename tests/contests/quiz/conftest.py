from tests.contests.quiz.factories import ctx, quiz, relogin  # noqa: F401 - fixtures

from tests.contests.quiz.factories import ctx, quiz  # noqa: F401 - fixtures

from tests.campaign.greennet import conftest as greennet_fixtures

# The movement's fixtures, shared with its own tests.
gn = greennet_fixtures.gn
new_activity = greennet_fixtures.new_activity
submitted = greennet_fixtures.submitted

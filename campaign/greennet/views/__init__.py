"""Movement pages, by audience: public standings, a school's activities (its coordinator),
the district's set-up and its verification. One blueprint, ``greennet``, for all of them."""

from campaign.greennet.views import coordinator, district, public, verification
from campaign.greennet.views.common import bp

__all__ = ["bp", "coordinator", "district", "public", "verification"]

"""Inspections (kiểm tra định kỳ / đột xuất) of a school's movement: plan, checklist drawn
from the criteria, findings with photos, and the link to verification. The minutes are an
official document (``campaign.documents``, kind ``bien-ban-kiem-tra``)."""

"""All of the labeling app's API routes. Each domain's ``api`` module owns its own ``urlpatterns``."""

from labeling.annotation import api as annotation
from labeling.annotation import undo_api
from labeling.comparisons import api as comparisons
from labeling.exports import api as exports
from labeling.projects import api as projects
from labeling.projects import overview_api
from labeling.review import api as review
from labeling.stats import api as stats

urlpatterns = [
    *projects.urlpatterns,
    *annotation.urlpatterns,
    *undo_api.urlpatterns,
    *exports.urlpatterns,
    *stats.urlpatterns,
    *overview_api.urlpatterns,
    *review.urlpatterns,
    *comparisons.urlpatterns,
]

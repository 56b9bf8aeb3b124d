from django.http import JsonResponse
from django.views.decorators.http import require_GET

from designmall.core.checks import health


@require_GET
def healthz(request):
    """For load balancers: 200 when the database answers and migrations are applied."""
    result = health()
    return JsonResponse(result, status=200 if result["ok"] else 503)

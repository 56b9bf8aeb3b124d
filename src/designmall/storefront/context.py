def storefront(request):
    """What every page's layout needs."""
    return {}

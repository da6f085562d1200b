"""The product's own "page not found" page, also with ``DJANGO_DEBUG`` on.

With ``DEBUG`` off Django renders ``templates/404.html`` itself. With it on (``make run``),
Django answers every 404 with its technical page, which lists every URL pattern of the product:
noise for someone trying the product and a map of it for anyone who can reach a development
instance. ``handler404`` is not consulted when ``DEBUG`` is on, so this middleware renders the
product's page before Django's debug view can. DEBUG keeps everything else it is for (generated
development keys, relaxed hosts and cookies, static files served from the source folders, the
technical 500 page).
"""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import Resolver404, get_urlconf, resolve

TEMPLATE = "404.html"


def not_found_page(request, exception=None):
    """The product's 404 page (what ``handler404`` renders with ``DEBUG`` off)."""
    return render(request, TEMPLATE, {"request_path": request.path}, status=404)


class NotFoundPageMiddleware:
    """With ``DEBUG`` on, answer a 404 with the product's page instead of Django's URL list.

    Sits after ``CommonMiddleware``, which still turns a 404 into the redirect to the address
    with a trailing slash, and after the authentication and time-zone middleware, so the page
    shows the visitor's navigation.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            try:
                resolve(request.path_info, getattr(request, "urlconf", None) or get_urlconf())
            except Resolver404:
                return not_found_page(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return not_found_page(request, exception)
        return None

"""The platforms Sentimatrix Studio collects from, and what a target on each is."""

from django.db import models


class Platform(models.TextChoices):
    AMAZON = "amazon", "Amazon"
    STEAM = "steam", "Steam"
    YOUTUBE = "youtube", "YouTube"
    REDDIT = "reddit", "Reddit"
    GOOGLE = "google", "Google Maps"
    APPSTORE = "appstore", "App Store"
    HACKERNEWS = "hackernews", "Hacker News"
    TRUSTPILOT = "trustpilot", "Trustpilot"
    FEED = "feed", "RSS/Atom feed"
    WEB = "web", "Web page"
    FILE = "file", "File import"


class DetectedType(models.TextChoices):
    PRODUCT = "product", "Product"
    GAME = "game", "Game"
    VIDEO = "video", "Video"
    POST = "post", "Post"
    PLACE = "place", "Place"
    APP = "app", "App"
    STORY = "story", "Story"
    COMPANY = "company", "Company"
    FEED = "feed", "Feed"
    PAGE = "page", "Page"
    FILE = "file", "File"

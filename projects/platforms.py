"""The platforms Sentimatrix Studio collects from, what a target on each is, and the facts
about each that a target records when it is added (its sort orders and its caveat).

This is the one home of those facts: the project pages check a target's sort order against
:data:`SORT_ORDERS` and copy :data:`CAVEATS` onto the target, and each collector reads the same
entries for the platform it collects.
"""

from django.db import models


class Platform(models.TextChoices):
    AMAZON = "amazon", "Amazon"
    STEAM = "steam", "Steam"
    YOUTUBE = "youtube", "YouTube"
    REDDIT = "reddit", "Reddit"
    GOOGLE = "google", "Google Maps"
    APPSTORE = "appstore", "App Store"
    GOOGLE_PLAY = "googleplay", "Google Play"
    HACKERNEWS = "hackernews", "Hacker News"
    TRUSTPILOT = "trustpilot", "Trustpilot"
    FEED = "feed", "RSS/Atom feed"
    WEB = "web", "Web page"
    FILE = "file", "File import"
    # Sources searched by a keyword monitor (a monitor's results carry the platform they came from).
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    KEYWORD = "keyword", "Keyword monitor"


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
    KEYWORD = "keyword", "Keyword"


#: The sort orders a platform's collector accepts (a platform not listed has no choice).
SORT_ORDERS: dict[str, tuple[str, ...]] = {
    Platform.STEAM: ("recent", "updated", "all"),
    Platform.REDDIT: ("confidence", "top", "new", "controversial", "old", "qa"),
    Platform.YOUTUBE: ("time", "relevance"),
    Platform.GOOGLE: ("newest", "most_relevant"),
    Platform.AMAZON: ("recent", "helpful"),
    Platform.GOOGLE_PLAY: ("newest", "most_relevant"),
}

#: The platforms a result can come from: a keyword monitor's results carry the platform each was
#: found on, never "keyword".
RESULT_PLATFORMS: tuple[tuple[str, str], ...] = tuple(
    (value, label) for value, label in Platform.choices if value != Platform.KEYWORD
)

#: The platforms a keyword monitor can search (each has a search collector).
SEARCH_PLATFORMS: tuple[str, ...] = (
    Platform.REDDIT,
    Platform.HACKERNEWS,
    Platform.YOUTUBE,
    Platform.MASTODON,
    Platform.BLUESKY,
)

#: What to know before collecting a platform (a cap on the reviews it lets anyone reach...),
#: shown on its targets.
CAVEATS: dict[str, str] = {
    Platform.AMAZON: (
        "Amazon lists at most about 100 reviews per sort order and often blocks direct fetching; "
        "a ScraperAPI or Apify key makes collection reliable."
    ),
    Platform.APPSTORE: "Apple's review feed serves only the 500 most recent reviews per country (10 pages).",
    Platform.GOOGLE: "Google's Places API returns at most 5 reviews per place, so only those can be collected.",
    Platform.GOOGLE_PLAY: (
        "Google Play has no public review API: reviews are read the way the store's own pages read "
        "them, in the target's language only, and Google may slow down or block automated clients; "
        "a ScraperAPI key lets collection go through ScraperAPI when it does."
    ),
}

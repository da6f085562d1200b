"""Which collector class handles which platform.

Collectors are imported lazily so importing the registry stays cheap and a
collector with a heavy dependency only loads when a job needs it.
"""

from __future__ import annotations

from importlib import import_module

from projects.platforms import Platform
from scraping.collectors.base import Collector, CollectorError

#: Platform key -> "module:Class". Add a collector here when it is written.
COLLECTORS: dict[str, str] = {
    Platform.STEAM: "scraping.collectors.steam:SteamCollector",
    Platform.REDDIT: "scraping.collectors.reddit:RedditCollector",
    Platform.YOUTUBE: "scraping.collectors.youtube:YouTubeCollector",
    Platform.GOOGLE: "scraping.collectors.google:GooglePlacesCollector",
    Platform.AMAZON: "scraping.collectors.amazon:AmazonCollector",
    Platform.APPSTORE: "scraping.collectors.appstore:AppStoreCollector",
    Platform.GOOGLE_PLAY: "scraping.collectors.googleplay:GooglePlayCollector",
    Platform.HACKERNEWS: "scraping.collectors.hackernews:HackerNewsCollector",
    Platform.TRUSTPILOT: "scraping.collectors.trustpilot:TrustpilotCollector",
    Platform.FEED: "scraping.collectors.feed:FeedCollector",
    Platform.WEB: "scraping.collectors.web:WebPageCollector",
    Platform.FILE: "scraping.collectors.fileimport:FileImportCollector",
    Platform.KEYWORD: "scraping.collectors.keyword:KeywordMonitorCollector",
}


def collector_class(platform: str) -> type[Collector]:
    """The collector class for ``platform``; ``CollectorError`` when there is none."""
    try:
        path = COLLECTORS[platform]
    except KeyError:
        raise CollectorError(f"no collector for the platform {platform!r}") from None
    module_name, class_name = path.split(":")
    return getattr(import_module(module_name), class_name)


def get_collector(platform: str) -> Collector:
    """A new collector for ``platform`` (collectors hold no state between targets)."""
    return collector_class(platform)()

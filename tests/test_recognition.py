"""Recognising targets from pasted URLs: real-world shapes per platform, and refusals."""

import dataclasses

import pytest

from projects.platforms import DetectedType, Platform
from projects.recognition import Recognition, UnrecognizedURL, is_duplicate, recognize, recognize_upload

AMAZON, STEAM, YOUTUBE, REDDIT = Platform.AMAZON, Platform.STEAM, Platform.YOUTUBE, Platform.REDDIT
GOOGLE, APPSTORE, HN, TRUSTPILOT = (
    Platform.GOOGLE,
    Platform.APPSTORE,
    Platform.HACKERNEWS,
    Platform.TRUSTPILOT,
)
FEED, WEB = Platform.FEED, Platform.WEB

EIFFEL_FEATURE = "0x47e66e2964e34e2d:0x8ddca9ee380ef7e0"
# The CID of a place is the second half of its feature id, in decimal.
EIFFEL_CID = str(int(EIFFEL_FEATURE.split(":")[1], 16))
EIFFEL_PLACE_ID = "ChIJLU7jZClu5kcR4PcOOO6p3I0"


def amazon(asin, tld, country):
    return (
        AMAZON,
        DetectedType.PRODUCT,
        {"asin": asin, "country": country, "tld": tld},
        f"https://www.amazon.{tld}/dp/{asin}",
    )


def steam(app_id):
    return STEAM, DetectedType.GAME, {"app_id": app_id}, f"https://store.steampowered.com/app/{app_id}"


def youtube(video_id):
    return YOUTUBE, DetectedType.VIDEO, {"video_id": video_id}, f"https://www.youtube.com/watch?v={video_id}"


def reddit(post_id, subreddit):
    return (
        REDDIT,
        DetectedType.POST,
        {"post_id": post_id, "subreddit": subreddit},
        f"https://www.reddit.com/comments/{post_id}",
    )


def short(platform, dtype, link, **extra):
    return platform, dtype, {"short_link": link, **extra}, link


def appstore(app_id, country):
    return (
        APPSTORE,
        DetectedType.APP,
        {"app_id": app_id, "country": country},
        f"https://apps.apple.com/{country}/app/id{app_id}",
    )


def googleplay(package, language="en", country="us"):
    return (
        Platform.GOOGLE_PLAY,
        DetectedType.APP,
        {"package_id": package, "country": country},
        f"https://play.google.com/store/apps/details?id={package}&hl={language}&gl={country}",
    )


def hn(item_id):
    return HN, DetectedType.STORY, {"item_id": item_id}, f"https://news.ycombinator.com/item?id={item_id}"


def trustpilot(domain):
    return (
        TRUSTPILOT,
        DetectedType.COMPANY,
        {"domain": domain},
        f"https://www.trustpilot.com/review/{domain}",
    )


def feed(feed_url, canonical):
    return FEED, DetectedType.FEED, {"feed_url": feed_url}, canonical


def web(page_url, canonical):
    return WEB, DetectedType.PAGE, {"page_url": page_url}, canonical


GOOGLE_CID = (
    GOOGLE,
    DetectedType.PLACE,
    {"cid": EIFFEL_CID},
    f"https://www.google.com/maps?cid={EIFFEL_CID}",
)
GOOGLE_PLACE_ID = (
    GOOGLE,
    DetectedType.PLACE,
    {"place_id": EIFFEL_PLACE_ID},
    f"https://www.google.com/maps/place/?q=place_id:{EIFFEL_PLACE_ID}",
)
GOOGLE_EIFFEL_FEATURE = (
    GOOGLE,
    DetectedType.PLACE,
    {"cid": EIFFEL_CID, "feature_id": EIFFEL_FEATURE, "name": "Eiffel Tower"},
    f"https://www.google.com/maps?cid={EIFFEL_CID}",
)


def google_query(query, encoded):
    return (
        GOOGLE,
        DetectedType.PLACE,
        {"query": query},
        f"https://www.google.com/maps/search/?api=1&query={encoded}",
    )


RECOGNISED = [
    # --- Amazon
    ("https://www.amazon.com/dp/B08N5WRWNW", amazon("B08N5WRWNW", "com", "us")),
    (
        "https://www.amazon.com/Apple-iPhone-Pro-128GB/dp/B0BN93TTT9/ref=sr_1_3?crid=2XK&keywords=iphone&qid=1"
        "&sr=8-3",
        amazon("B0BN93TTT9", "com", "us"),
    ),
    ("www.amazon.de/dp/B08N5WRWNW", amazon("B08N5WRWNW", "de", "de")),
    ("https://smile.amazon.com/gp/product/B07FZ8S74R?psc=1", amazon("B07FZ8S74R", "com", "us")),
    (
        "https://www.amazon.co.uk/product-reviews/B07FZ8S74R/ref=cm_cr_dp_d_show_all_btm?ie=UTF8"
        "&reviewerType=all_reviews",
        amazon("B07FZ8S74R", "co.uk", "gb"),
    ),
    (
        "https://www.amazon.fr/Echo-Dot-3%C3%A8me-g%C3%A9n%C3%A9ration/dp/B07PHPXHQS",
        amazon("B07PHPXHQS", "fr", "fr"),
    ),
    ("https://www.amazon.co.jp/dp/4088725093/", amazon("4088725093", "co.jp", "jp")),
    ("https://www.amazon.in/gp/aw/d/B0CHX1W1XY?th=1", amazon("B0CHX1W1XY", "in", "in")),
    ("HTTPS://WWW.AMAZON.CA/DP/B07FZ8S74R", amazon("B07FZ8S74R", "ca", "ca")),
    ("https://amazon.com.au/dp/b07fz8s74r", amazon("B07FZ8S74R", "com.au", "au")),
    ("https://www.amazon.com.mx/-/es/dp/B07FZ8S74R", amazon("B07FZ8S74R", "com.mx", "mx")),
    ("https://www.amazon.com/exec/obidos/ASIN/0316769487/", amazon("0316769487", "com", "us")),
    ("https://www.amazon.es/gp/customer-reviews/R1ABCDEF?ASIN=B07FZ8S74R", amazon("B07FZ8S74R", "es", "es")),
    ("https://amzn.com/B07FZ8S74R", amazon("B07FZ8S74R", "com", "us")),
    ("https://m.amazon.it/dp/B07FZ8S74R?fbclid=IwAR0xyz", amazon("B07FZ8S74R", "it", "it")),
    (
        "https://www.amazon.com.br/gp/product/B07FZ8S74R/ref=ppx_yo_dt_b_asin_title_o00_s00",
        amazon("B07FZ8S74R", "com.br", "br"),
    ),
    (
        "https://www.amazon.de/-/en/product-reviews/B08N5WRWNW?pageNumber=2&sortBy=recent",
        amazon("B08N5WRWNW", "de", "de"),
    ),
    ("https://amzn.to/3xYzAbC", short(AMAZON, DetectedType.PRODUCT, "https://amzn.to/3xYzAbC")),
    ("https://amzn.eu/d/7bXgHjK", short(AMAZON, DetectedType.PRODUCT, "https://amzn.eu/d/7bXgHjK")),
    ("https://a.co/d/2sFh7Tq", short(AMAZON, DetectedType.PRODUCT, "https://a.co/d/2sFh7Tq")),
    # --- Steam
    ("https://store.steampowered.com/app/570/Dota_2/", steam(570)),
    ("https://store.steampowered.com/app/730/CounterStrike_2/?snr=1_4_4__40_1", steam(730)),
    ("https://store.steampowered.com/app/1091500", steam(1091500)),
    ("https://steamcommunity.com/app/570/reviews/?browsefilter=toprated&snr=1_5_100010_", steam(570)),
    ("https://steamcommunity.com/app/292030/discussions/", steam(292030)),
    ("https://store.steampowered.com/agecheck/app/1245620/", steam(1245620)),
    ("https://s.team/a/570", steam(570)),
    ("store.steampowered.com/news/app/413150", steam(413150)),
    ("https://STORE.STEAMPOWERED.COM/app/570/Dota_2", steam(570)),
    ("https://store.steampowered.com/app/288120/?utm_source=twitter&l=german", steam(288120)),
    # --- YouTube
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", youtube("dQw4w9WgXcQ")),
    (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s&list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&index=3",
        youtube("dQw4w9WgXcQ"),
    ),
    ("https://www.youtube.com/watch?app=desktop&v=jNQXAC9IVRw&feature=youtu.be", youtube("jNQXAC9IVRw")),
    ("https://youtu.be/dQw4w9WgXcQ?si=8wUo2dQwXcQmOl7s", youtube("dQw4w9WgXcQ")),
    ("https://youtu.be/jNQXAC9IVRw?t=10", youtube("jNQXAC9IVRw")),
    ("https://m.youtube.com/watch?v=9bZkp7q19f0&pp=ygUJZ2FuZ25hbQ%3D%3D", youtube("9bZkp7q19f0")),
    ("https://www.youtube.com/shorts/aqz-KE-bpKQ?feature=share", youtube("aqz-KE-bpKQ")),
    ("https://youtube.com/shorts/aqz-KE-bpKQ", youtube("aqz-KE-bpKQ")),
    ("https://www.youtube.com/embed/dQw4w9WgXcQ?rel=0&autoplay=1", youtube("dQw4w9WgXcQ")),
    ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", youtube("dQw4w9WgXcQ")),
    ("https://www.youtube.com/live/jfKfPfyJRdk?si=abcDEF", youtube("jfKfPfyJRdk")),
    ("https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RDAMVMdQw4w9WgXcQ", youtube("dQw4w9WgXcQ")),
    (
        "https://www.youtube.com/attribution_link?a=8g8kPrPIi-ecwIsS&u=%2Fwatch%3Fv%3DdQw4w9WgXcQ%26feature%3Dshare",
        youtube("dQw4w9WgXcQ"),
    ),
    ("youtube.com/v/dQw4w9WgXcQ?version=3", youtube("dQw4w9WgXcQ")),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ#t=30", youtube("dQw4w9WgXcQ")),
    # --- Reddit (ids of the recorded threads in the shared data)
    ("https://www.reddit.com/r/Python/comments/1abcde/whats_new_in_python_313/", reddit("1abcde", "Python")),
    (
        "https://old.reddit.com/r/python/comments/1abcde/whats_new/?utm_source=share&utm_medium=web2x&context=3",
        reddit("1abcde", "python"),
    ),
    ("https://new.reddit.com/r/AskReddit/comments/3hahrw/", reddit("3hahrw", "AskReddit")),
    ("https://m.reddit.com/r/gaming/comments/fo7p5b/title/", reddit("fo7p5b", "gaming")),
    ("https://np.reddit.com/r/pics/comments/2gmzqe/", reddit("2gmzqe", "pics")),
    ("https://redd.it/2gmzqe", reddit("2gmzqe", None)),
    ("https://www.reddit.com/comments/3hahrw", reddit("3hahrw", None)),
    ("https://www.reddit.com/r/python/comments/1abcde/title/kxyz123/", reddit("1abcde", "python")),
    (
        "https://www.reddit.com/r/python/comments/1abcde/comment/kxyz123/?utm_source=share",
        reddit("1abcde", "python"),
    ),
    ("https://www.reddit.com/gallery/1abcde", reddit("1abcde", None)),
    ("https://www.reddit.com/user/spez/comments/abc123/my_post/", reddit("abc123", "u_spez")),
    ("https://www.reddit.com/r/python/comments/1abcde.json", reddit("1abcde", "python")),
    ("reddit.com/r/Python/comments/1ABCDE", reddit("1abcde", "Python")),
    (
        "https://www.reddit.com/r/python/s/AbCdEf123",
        short(REDDIT, DetectedType.POST, "https://www.reddit.com/r/python/s/AbCdEf123", subreddit="python"),
    ),
    # --- Google Maps
    (
        "https://www.google.com/maps/place/Eiffel+Tower/@48.8583701,2.2944813,17z/data=!3m1!4b1!4m6!3m5!1s"
        f"{EIFFEL_FEATURE}!8m2!3d48.8583701!4d2.2944813!16zL20vMDJqODE?entry=ttu",
        GOOGLE_EIFFEL_FEATURE,
    ),
    (
        "https://www.google.fr/maps/place/Eiffel+Tower/@48.85,2.29,17z/data=!4m6!3m5!1s"
        + EIFFEL_FEATURE.replace(":", "%3A"),
        GOOGLE_EIFFEL_FEATURE,
    ),
    (f"https://www.google.com/maps/place/?q=place_id:{EIFFEL_PLACE_ID}", GOOGLE_PLACE_ID),
    (
        f"https://www.google.com/maps/search/?api=1&query=Eiffel%20Tower&query_place_id={EIFFEL_PLACE_ID}",
        GOOGLE_PLACE_ID,
    ),
    (f"https://www.google.com/maps/place/data=!4m2!3m1!1s{EIFFEL_PLACE_ID}", GOOGLE_PLACE_ID),
    (f"https://maps.google.com/?cid={EIFFEL_CID}", GOOGLE_CID),
    (f"https://www.google.com/maps?cid={EIFFEL_CID}&hl=fr", GOOGLE_CID),
    (f"https://maps.google.co.uk/maps?cid={EIFFEL_CID}&utm_source=mail", GOOGLE_CID),
    (f"https://www.google.com/search?q=eiffel+tower&ludocid={EIFFEL_CID}", GOOGLE_CID),
    (
        "https://www.google.co.uk/maps/place/Big+Ben/@51.5007292,-0.1246254,17z",
        google_query("Big Ben", "Big%20Ben"),
    ),
    (
        "https://www.google.de/maps/place/Caf%C3%A9+de+Flore/@48.854,2.3326,17z",
        google_query("Café de Flore", "Caf%C3%A9%20de%20Flore"),
    ),
    (
        "https://www.google.com/maps/search/pizza+in+naples/",
        google_query("pizza in naples", "pizza%20in%20naples"),
    ),
    (
        "https://www.google.com/maps?q=Sydney+Opera+House",
        google_query("Sydney Opera House", "Sydney%20Opera%20House"),
    ),
    (
        "https://maps.app.goo.gl/qN8pG4BX8sYXk9Ws7?g_st=ic",
        short(GOOGLE, DetectedType.PLACE, "https://maps.app.goo.gl/qN8pG4BX8sYXk9Ws7"),
    ),
    ("https://goo.gl/maps/AbCdEf12345", short(GOOGLE, DetectedType.PLACE, "https://goo.gl/maps/AbCdEf12345")),
    # --- App Store
    ("https://apps.apple.com/us/app/instagram/id389801252", appstore(389801252, "us")),
    (
        "https://apps.apple.com/gb/app/spotify-music-and-podcasts/id324684580?mt=8&uo=4",
        appstore(324684580, "gb"),
    ),
    ("https://apps.apple.com/app/id389801252", appstore(389801252, "us")),
    ("https://itunes.apple.com/de/app/whatsapp-messenger/id310633997?mt=8", appstore(310633997, "de")),
    ("https://apps.apple.com/jp/app/%E3%83%A9%E3%82%A4%E3%83%B3/id443904275", appstore(443904275, "jp")),
    (
        "https://apps.apple.com/us/app/instagram/id389801252?see-all=reviews&platform=iphone",
        appstore(389801252, "us"),
    ),
    (
        "https://itunes.apple.com/WebObjects/MZStore.woa/wa/viewSoftware?id=284417350&mt=8",
        appstore(284417350, "us"),
    ),
    ("https://apps.apple.com/FR/app/idle-miner-tycoon/id1116645064", appstore(1116645064, "fr")),
    # --- Google Play
    ("https://play.google.com/store/apps/details?id=com.spotify.music", googleplay("com.spotify.music")),
    (
        "https://play.google.com/store/apps/details?id=com.whatsapp&hl=de&gl=DE",
        googleplay("com.whatsapp", "de", "de"),
    ),
    (
        "https://play.google.com/store/apps/details?id=com.king.candycrushsaga&showAllReviews=true",
        googleplay("com.king.candycrushsaga"),
    ),
    (
        "https://m.play.google.com/store/apps/details?id=org.mozilla.firefox",
        googleplay("org.mozilla.firefox"),
    ),
    ("market://details?id=com.spotify.music", googleplay("com.spotify.music")),
    # --- Hacker News
    ("https://news.ycombinator.com/item?id=8863", hn(8863)),
    ("news.ycombinator.com/item?id=38792446#38793000", hn(38792446)),
    ("https://news.ycombinator.com/item?id=8863&p=2", hn(8863)),
    ("http://NEWS.YCOMBINATOR.COM/item?id=1", hn(1)),
    # --- Trustpilot
    ("https://www.trustpilot.com/review/www.amazon.com", trustpilot("www.amazon.com")),
    ("https://uk.trustpilot.com/review/bbc.co.uk?page=2&stars=5", trustpilot("bbc.co.uk")),
    ("https://de.trustpilot.com/review/zalando.de/", trustpilot("zalando.de")),
    ("https://www.trustpilot.com/evaluate/example.com", trustpilot("example.com")),
    ("trustpilot.com/review/Example.COM?utm_medium=email", trustpilot("example.com")),
    # --- Feeds
    (
        "https://blog.example.com/feed/",
        feed("https://blog.example.com/feed/", "https://blog.example.com/feed"),
    ),
    (
        "https://www.example.org/index.xml",
        feed("https://www.example.org/index.xml", "https://www.example.org/index.xml"),
    ),
    ("https://example.net/news.rss", feed("https://example.net/news.rss", "https://example.net/news.rss")),
    (
        "https://example.com/blog/posts.atom",
        feed("https://example.com/blog/posts.atom", "https://example.com/blog/posts.atom"),
    ),
    (
        "https://example.com/?feed=rss2",
        feed("https://example.com/?feed=rss2", "https://example.com/?feed=rss2"),
    ),
    (
        "https://example.com/blog/rss?utm_source=newsletter",
        feed("https://example.com/blog/rss", "https://example.com/blog/rss"),
    ),
    (
        "https://www.reddit.com/r/python/.rss",
        feed("https://www.reddit.com/r/python/.rss", "https://www.reddit.com/r/python/.rss"),
    ),
    (
        "https://www.youtube.com/feeds/videos.xml?channel_id=UCX6OQ3DkcsbYNE6H8uQQuVA",
        feed(
            "https://www.youtube.com/feeds/videos.xml?channel_id=UCX6OQ3DkcsbYNE6H8uQQuVA",
            "https://www.youtube.com/feeds/videos.xml?channel_id=UCX6OQ3DkcsbYNE6H8uQQuVA",
        ),
    ),
    # --- Web pages
    (
        "https://example.com/reviews/widget/?utm_source=x&page=2#top",
        web("https://example.com/reviews/widget/?page=2", "https://example.com/reviews/widget?page=2"),
    ),
    (
        "https://www.example.shop/product/123?ref=homepage&fbclid=abc&color=red&gclid=x",
        web(
            "https://www.example.shop/product/123?color=red", "https://www.example.shop/product/123?color=red"
        ),
    ),
    ("example.org/reviews", web("https://example.org/reviews", "https://example.org/reviews")),
    (
        "https://EXAMPLE.COM/Path/Reviews/",
        web("https://example.com/Path/Reviews/", "https://example.com/Path/Reviews"),
    ),
    (
        "https://bücher.de/rezensionen",
        web("https://xn--bcher-kva.de/rezensionen", "https://xn--bcher-kva.de/rezensionen"),
    ),
    (
        "http://shop.example.com:8080/reviews?b=2&a=1",
        web("http://shop.example.com:8080/reviews?b=2&a=1", "http://shop.example.com:8080/reviews?b=2&a=1"),
    ),
    (
        "https://example.com:443/caf%c3%a9",
        web("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
    ),
    ("https://example.com/café", web("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9")),
    ("http://93.184.216.34/reviews", web("http://93.184.216.34/reviews", "http://93.184.216.34/reviews")),
    # Google Play links were web pages until Google Play had its collector: now they are apps.
    (
        "https://play.google.com/store/apps/details?id=com.instagram.android",
        googleplay("com.instagram.android"),
    ),
    (
        "https://aws.amazon.com/products/",
        web("https://aws.amazon.com/products/", "https://aws.amazon.com/products"),
    ),
    ("https://example.com", web("https://example.com/", "https://example.com/")),
]


@pytest.mark.parametrize(("url", "expected"), RECOGNISED, ids=[url[:70] for url, _ in RECOGNISED])
def test_recognises_real_world_url_shapes(url, expected):
    platform, detected_type, platform_data, canonical_url = expected
    recognition = recognize(url)
    assert recognition.platform == platform
    assert recognition.detected_type == detected_type
    assert recognition.platform_data == platform_data
    assert recognition.canonical_url == canonical_url
    assert recognition.label
    assert recognition.url.lower().startswith(("http://", "https://"))


def test_the_table_covers_every_url_platform_with_enough_shapes():
    by_platform = {}
    for _url, (platform, *_rest) in RECOGNISED:
        by_platform[platform] = by_platform.get(platform, 0) + 1
    assert len(RECOGNISED) >= 70
    # Files are uploaded; Mastodon and Bluesky are searched by keyword monitors, not linked to.
    not_linked = {Platform.FILE, Platform.MASTODON, Platform.BLUESKY, Platform.KEYWORD}
    assert set(by_platform) == set(Platform.values) - not_linked
    assert min(by_platform.values()) >= 4


REFUSED = [
    # --- Not a usable URL at all
    ("", "the URL is empty"),
    ("   \t ", "the URL is empty"),
    ("hello world", "it contains spaces"),
    ("helloworld", "has no domain such as .com"),
    ("ftp://example.com/reviews.csv", "unsupported scheme 'ftp:'"),
    ("javascript:alert(document.cookie)", "unsupported scheme 'javascript:'"),
    ("data:text/html;base64,PHNjcmlwdD4=", "unsupported scheme 'data:'"),
    ("file:///etc/passwd", "unsupported scheme 'file:'"),
    ("mailto:someone@example.com", "unsupported scheme 'mailto:'"),
    ("https://", "no host name"),
    ("http//example.com/page", "missing the ':' after the scheme"),
    ("https:/example.com/page", "the scheme needs two slashes"),
    ("https://user:secret@example.com/", "user name or password"),
    ("https://exa_mple.com/", "not a valid host name"),
    ("https://example.com/" + "a" * 2100, "the URL is too long"),
    ("https://example.com/a\nhttps://example.com/b", "paste one URL per line"),
    # --- Internal addresses
    (
        "http://192.168.1.10/admin",
        "192.168.1.10 is a private network address: internal addresses are not allowed",
    ),
    ("http://10.0.0.5:8080/", "a private network address: internal addresses are not allowed"),
    ("http://127.0.0.1/", "a loopback address: internal addresses are not allowed"),
    ("http://[::1]/", "a loopback address: internal addresses are not allowed"),
    ("http://169.254.169.254/latest/meta-data/", "link-local / cloud metadata address"),
    ("http://2130706433/", "2130706433 is a loopback address"),
    ("http://localhost:8000/", "localhost is an internal host name: internal addresses are not allowed"),
    ("http://printer.local/status", "internal host name"),
    # --- Amazon
    (
        "https://www.amazon.com/s?k=wireless+earbuds&ref=nb_sb_noss",
        "this looks like an Amazon search page, not a product",
    ),
    (
        "https://www.amazon.de/s/ref=nb_sb_noss?field-keywords=kindle",
        "this looks like an Amazon search page, not a product",
    ),
    ("https://www.amazon.com/b?node=172282", "this looks like an Amazon category page, not a product"),
    ("https://www.amazon.com/", "this is the Amazon home page, not a product"),
    (
        "https://www.amazon.com/gp/bestsellers/electronics",
        "this is an Amazon best-seller list, not a product",
    ),
    ("https://www.amazon.com/hz/wishlist/ls/2ABCDEF", "this is an Amazon wish list, not a product"),
    ("https://www.amazon.com/stores/Apple/page/77D9E1F7", "this is an Amazon brand store, not a product"),
    ("https://www.amazon.com/gp/help/customer/display.html", "no product ID (ASIN) in this Amazon URL"),
    ("https://www.amazon.com/dp/B0123", "'B0123' is not a valid ASIN"),
    ("https://amzn.to/", "short link has no code"),
    # --- Steam
    ("https://steamcommunity.com/id/gabelogannewell", "this is a Steam user profile, not an app"),
    ("https://steamcommunity.com/profiles/76561197960287930", "this is a Steam user profile, not an app"),
    ("https://store.steampowered.com/sub/354231/", "this is a Steam package (sub), not an app"),
    ("https://store.steampowered.com/bundle/232/Valve_Complete_Pack/", "this is a Steam bundle, not an app"),
    ("https://store.steampowered.com/", "this is the Steam store home page, not an app"),
    ("https://store.steampowered.com/app/dota2/", "'dota2' is not a valid Steam app ID"),
    ("https://store.steampowered.com/search/?term=dota", "this is a Steam search page, not an app"),
    # --- YouTube
    ("https://www.youtube.com/@MrBeast", "this is a YouTube channel, not a video"),
    ("https://www.youtube.com/channel/UCX6OQ3DkcsbYNE6H8uQQuVA", "this is a YouTube channel, not a video"),
    ("https://www.youtube.com/c/PewDiePie/videos", "this is a YouTube channel, not a video"),
    ("https://www.youtube.com/PewDiePie", "this looks like a YouTube channel, not a video"),
    (
        "https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI",
        "this is a YouTube playlist, not a video",
    ),
    (
        "https://www.youtube.com/watch?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI",
        "this is a YouTube playlist, not a video",
    ),
    ("https://www.youtube.com/results?search_query=lofi", "this is a YouTube search page, not a video"),
    ("https://www.youtube.com/watch?v=abc", "'abc' is not a valid YouTube video ID"),
    ("https://www.youtube.com/watch?feature=share", "no video ID (the v= parameter is missing)"),
    ("https://www.youtube.com/", "this is the YouTube home page, not a video"),
    ("https://www.youtube.com/clip/UgkxU2HSeGL_NvmDJ-nQJrlLwllwMDBdGZFs", "this is a YouTube clip"),
    # --- Reddit
    ("https://www.reddit.com/r/python/", "this is the r/python subreddit, not a post"),
    ("https://old.reddit.com/r/python/top/?t=week", "this is the r/python subreddit, not a post"),
    ("https://www.reddit.com/user/spez/", "this is the Reddit user page of u/spez, not a post"),
    ("https://www.reddit.com/u/spez", "this is the Reddit user page of u/spez, not a post"),
    ("https://www.reddit.com/search/?q=python", "this is a Reddit search page, not a post"),
    ("https://www.reddit.com/r/python/comments/not-an-id!/", "'not-an-id!' is not a valid Reddit post ID"),
    ("https://i.redd.it/abc123xyz.jpg", "an image or video file hosted by Reddit, not a post"),
    ("https://www.reddit.com/", "this is the Reddit home page, not a post"),
    # --- Google Maps
    (
        "https://www.google.com/maps/dir/Eiffel+Tower/Louvre",
        "this is a Google Maps directions link, not a place",
    ),
    ("https://www.google.com/maps/@48.8583701,2.2944813,15z", "shows a map area, not a place"),
    ("https://www.google.com/maps?q=48.8583701,2.2944813", "a pair of coordinates, not a place"),
    ("https://www.google.com/search?q=eiffel+tower", "this is a Google search page, not a Google Maps place"),
    (
        "https://www.google.com/maps/contrib/100000000000000000000/reviews",
        "a Google Maps contributor profile",
    ),
    ("https://www.google.com/maps", "no place in this Google Maps URL"),
    ("https://maps.google.com/?cid=abc", "'abc' is not a valid Google Maps CID"),
    # --- App Store
    (
        "https://apps.apple.com/us/developer/meta-platforms-inc/id284882218",
        "this is an App Store developer page",
    ),
    ("https://apps.apple.com/us/app/instagram/id12ab", "'id12ab' is not a valid App Store app ID"),
    ("https://apps.apple.com/us/app/instagram", "no app ID in this App Store URL"),
    ("https://apps.apple.com/us/charts/iphone", "this is an App Store chart, not an app"),
    # --- Hacker News
    ("https://news.ycombinator.com/user?id=pg", "this is a Hacker News user page, not a story"),
    ("https://news.ycombinator.com/news", "this is a Hacker News story list, not a story"),
    ("https://news.ycombinator.com/item?id=abc", "'abc' is not a valid Hacker News item ID"),
    ("https://news.ycombinator.com/item", "no item ID (the id= parameter is missing)"),
    # --- Trustpilot
    (
        "https://www.trustpilot.com/categories/electronics_technology",
        "this is a Trustpilot category page, not a company",
    ),
    ("https://www.trustpilot.com/users/5f1e2d3c4b5a", "this is a Trustpilot user profile, not a company"),
    ("https://www.trustpilot.com/review/not_a_domain", "'not_a_domain' is not a valid company domain"),
    ("https://www.trustpilot.com/", "this is the Trustpilot home page, not a company"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED, ids=[url[:70] or "empty" for url, _ in REFUSED])
def test_refuses_with_a_precise_message(url, reason):
    with pytest.raises(UnrecognizedURL) as caught:
        recognize(url)
    assert reason in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_the_refusal_table_is_large_enough():
    assert len(REFUSED) >= 25


@pytest.mark.parametrize(
    ("url", "platform"),
    [
        ("https://www.amazon.com/s?k=earbuds", AMAZON),
        ("https://www.youtube.com/@MrBeast", YOUTUBE),
        ("https://www.reddit.com/r/python/", REDDIT),
        ("https://www.trustpilot.com/categories/x", TRUSTPILOT),
        ("http://10.1.2.3/", None),
        ("ftp://example.com/", None),
    ],
)
def test_refusals_say_which_platform_the_link_belongs_to(url, platform):
    with pytest.raises(UnrecognizedURL) as caught:
        recognize(url)
    assert caught.value.platform == platform


@pytest.mark.parametrize(
    ("url", "label", "options"),
    [
        (
            "https://www.amazon.de/dp/B08N5WRWNW?tag=x",
            "Amazon.de B08N5WRWNW",
            {"country": "de", "sort_by": "recent"},
        ),
        (
            "https://www.amazon.co.uk/dp/B07FZ8S74R",
            "Amazon.co.uk B07FZ8S74R",
            {"country": "gb", "sort_by": "recent"},
        ),
        (
            "https://store.steampowered.com/app/570/Dota_2/",
            "Steam app 570",
            {"language": "all", "filter": "recent"},
        ),
        ("https://youtu.be/dQw4w9WgXcQ", "YouTube video dQw4w9WgXcQ", {"sort_by": "time"}),
        ("https://old.reddit.com/r/python/comments/1abcde/x/", "r/python post 1abcde", {"sort_by": "new"}),
        ("https://redd.it/1abcde", "Reddit post 1abcde", {"sort_by": "new"}),
        (
            f"https://www.google.com/maps?cid={EIFFEL_CID}&hl=fr",
            f"Google Maps place {EIFFEL_CID}",
            {"language": "fr", "sort_by": "newest"},
        ),
        (
            "https://www.google.com/maps/place/Big+Ben/@51.5,-0.12,17z",
            "Google Maps: Big Ben",
            {"language": "en", "sort_by": "newest"},
        ),
        (
            "https://apps.apple.com/gb/app/spotify/id324684580",
            "App Store app 324684580 (GB)",
            {"country": "gb"},
        ),
        ("https://news.ycombinator.com/item?id=8863", "Hacker News story 8863", {}),
        ("https://www.trustpilot.com/review/example.com", "Trustpilot: example.com", {"language": "all"}),
        ("https://www.example.com/blog/feed/", "Feed example.com/blog/feed", {}),
        ("https://www.example.com/reviews/widget/?utm_source=x", "example.com/reviews/widget", {}),
        ("https://xn--bcher-kva.de/rezensionen", "bücher.de/rezensionen", {}),
    ],
)
def test_readable_labels_and_default_options(url, label, options):
    recognition = recognize(url)
    assert recognition.label == label
    assert recognition.default_options == options


def test_long_web_labels_are_cut():
    recognition = recognize("https://example.com/" + "segment/" * 40)
    assert len(recognition.label) <= 80
    assert recognition.label.endswith("…")


@pytest.mark.parametrize(
    "url",
    [
        "https://amzn.to/3xYzAbC",
        "https://amzn.eu/d/7bXgHjK",
        "https://maps.app.goo.gl/qN8pG4BX8sYXk9Ws7",
        "https://goo.gl/maps/AbCdEf12345",
        "https://www.reddit.com/r/python/s/AbCdEf123",
    ],
)
def test_short_links_are_recognised_but_need_resolution(url):
    recognition = recognize(url)
    assert recognition.needs_resolution is True
    assert recognition.platform_data["short_link"] == recognition.canonical_url


def test_links_with_the_id_in_them_need_no_resolution():
    for url, _expected in RECOGNISED:
        recognition = recognize(url)
        assert recognition.needs_resolution == ("short_link" in recognition.platform_data), url


@pytest.mark.parametrize(
    "spellings",
    [
        [
            "https://www.amazon.de/dp/B08N5WRWNW",
            "https://www.amazon.de/Some-Product-Name/dp/B08N5WRWNW/ref=sr_1_1?keywords=x",
            "amazon.de/gp/product/B08N5WRWNW",
            "https://smile.amazon.de/product-reviews/B08N5WRWNW/",
        ],
        [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ?si=abc",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
            "https://music.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "https://www.youtube.com/embed/dQw4w9WgXcQ",
        ],
        [
            "https://www.reddit.com/r/python/comments/1abcde/title/",
            "https://old.reddit.com/r/Python/comments/1abcde/",
            "https://redd.it/1abcde",
            "https://m.reddit.com/comments/1abcde",
        ],
        [
            "https://store.steampowered.com/app/570/Dota_2/",
            "https://steamcommunity.com/app/570/reviews/",
            "https://s.team/a/570",
        ],
        [
            "https://example.com/reviews/?utm_source=x",
            "https://EXAMPLE.com/reviews",
            "https://example.com/reviews#section",
            "https://example.com/reviews/?fbclid=123",
        ],
    ],
)
def test_every_spelling_of_a_target_has_one_canonical_url(spellings):
    canonical = {recognize(url).canonical_url for url in spellings}
    assert len(canonical) == 1


def test_same_app_in_two_countries_is_two_targets():
    us = recognize("https://apps.apple.com/us/app/instagram/id389801252")
    gb = recognize("https://apps.apple.com/gb/app/instagram/id389801252")
    assert us.canonical_url != gb.canonical_url
    assert not is_duplicate(gb.canonical_url, [us.canonical_url])


def test_is_duplicate_compares_canonical_urls():
    existing = [recognize("https://youtu.be/dQw4w9WgXcQ").canonical_url]
    assert is_duplicate(recognize("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=5").canonical_url, existing)
    assert not is_duplicate(recognize("https://youtu.be/jNQXAC9IVRw").canonical_url, existing)
    assert not is_duplicate(existing[0], [])


def test_the_pasted_url_is_kept_with_a_scheme():
    assert recognize("  www.amazon.de/dp/B08N5WRWNW  ").url == "https://www.amazon.de/dp/B08N5WRWNW"
    assert recognize("http://example.com/x?utm_source=y").url == "http://example.com/x?utm_source=y"


def test_hint_feed_takes_any_public_url_as_a_feed():
    recognition = recognize("https://www.reddit.com/r/python/.rss?utm_source=x", hint="feed")
    assert recognition.platform == FEED
    assert recognition.detected_type == DetectedType.FEED
    assert recognition.platform_data == {"feed_url": "https://www.reddit.com/r/python/.rss"}
    plain = recognize("https://example.com/updates", hint=Platform.FEED)
    assert plain.platform == FEED
    assert recognize("https://example.com/updates").platform == WEB


def test_hint_web_takes_a_platform_url_as_a_page():
    recognition = recognize("https://www.amazon.com/s?k=earbuds", hint="web")
    assert recognition.platform == WEB
    assert recognition.detected_type == DetectedType.PAGE
    assert recognition.platform_data == {"page_url": "https://www.amazon.com/s?k=earbuds"}


def test_hints_still_refuse_what_is_not_a_public_http_url():
    with pytest.raises(UnrecognizedURL, match="internal addresses are not allowed"):
        recognize("http://192.168.0.1/feed.xml", hint="feed")
    with pytest.raises(UnrecognizedURL, match="unsupported scheme"):
        recognize("ftp://example.com/page", hint="web")


def test_platform_hint_refuses_a_link_of_another_platform():
    assert recognize("https://youtu.be/dQw4w9WgXcQ", hint="youtube").platform == YOUTUBE
    with pytest.raises(UnrecognizedURL) as caught:
        recognize("https://youtu.be/dQw4w9WgXcQ", hint="amazon")
    assert str(caught.value) == "this is a YouTube link, but the target type chosen is Amazon"
    assert caught.value.platform == YOUTUBE


def test_unknown_and_file_hints_are_refused():
    with pytest.raises(UnrecognizedURL, match="unknown target type 'myspace'"):
        recognize("https://example.com/", hint="myspace")
    with pytest.raises(UnrecognizedURL, match="a file target is uploaded"):
        recognize("https://example.com/reviews.csv", hint="file")


def test_recognition_is_frozen():
    recognition = recognize("https://news.ycombinator.com/item?id=8863")
    assert isinstance(recognition, Recognition)
    with pytest.raises(dataclasses.FrozenInstanceError):
        recognition.label = "changed"  # type: ignore[misc]


def test_uploaded_files_of_reviews_are_file_targets():
    data = b"text,rating\nGreat,5\n"
    recognition = recognize_upload("C:\\Users\\ana\\reviews.CSV", data)
    assert recognition.platform == Platform.FILE
    assert recognition.detected_type == DetectedType.FILE
    assert recognition.platform_data["filename"] == "reviews.CSV"
    assert recognition.platform_data["format"] == "csv"
    assert recognition.platform_data["size"] == len(data)
    assert recognition.label == "File reviews.CSV"
    # The same bytes under another name are the same target; other bytes are not.
    assert recognize_upload("copy.csv", data).canonical_url == recognition.canonical_url
    assert recognize_upload("other.csv", data + b"Bad,1\n").canonical_url != recognition.canonical_url
    assert recognize_upload("export.json", b"[]").platform_data["format"] == "json"
    assert recognize_upload("export.ndjson", b"{}\n").platform_data["format"] == "jsonl"


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("reviews.xlsx", b"PK", "only CSV and JSON files of reviews can be imported"),
        ("reviews", b"a,b", "this file has no extension"),
        ("reviews.csv", b"", "the file reviews.csv is empty"),
    ],
)
def test_unusable_uploads_are_refused(filename, data, reason):
    with pytest.raises(UnrecognizedURL) as caught:
        recognize_upload(filename, data)
    assert reason in str(caught.value)

"""Reddit posts.

Accepted, on www., old., new., np., m., i., amp., sh. and bare reddit.com:

- ``/r/SUB/comments/ID[/slug][/comment_id]/`` (a comment permalink means its post),
  ``/r/SUB/comments/ID/slug/comment/CID/``, ``/comments/ID``, ``/gallery/ID``, ``.json`` endings
- ``/user/NAME/comments/ID/...`` and ``/u/NAME/...`` (posts on a profile: subreddit ``u_NAME``)
- ``redd.it/ID``
- share links ``/r/SUB/s/CODE``: the post they lead to is known only by following the
  redirect, which needs the network; recognised with ``platform_data.short_link`` and
  ``needs_resolution=True``.

Every post maps to ``https://www.reddit.com/comments/ID`` (Reddit redirects it to the full
link), so a post pasted with or without its subreddit is one target. Refused with the
reason: subreddits and their listings, user pages, search, messages, the home page,
images and videos on i.redd.it / v.redd.it, and malformed post ids.
"""

from __future__ import annotations

import re

from projects.platforms import DetectedType, Platform

from .base import ParsedURL, Recognition, refuse, slug_name

SUBDOMAINS = ("", "www", "old", "new", "np", "m", "i", "amp", "sh")
POST_ID = re.compile(r"^[a-z0-9]{1,12}$")


def matches(url: ParsedURL) -> bool:
    if url.subdomain_of("redd.it") is not None:
        return True
    return url.subdomain_of("reddit.com") in SUBDOMAINS


def _post(url: ParsedURL, candidate: str, subreddit: str | None, slug: str = "") -> Recognition:
    post_id = candidate.lower().removesuffix(".json")
    if not POST_ID.match(post_id):
        raise refuse(
            f"'{candidate}' is not a valid Reddit post ID: it is a short code of letters and digits, "
            "like 1abcde",
            Platform.REDDIT,
        )
    return Recognition(
        platform=Platform.REDDIT,
        detected_type=DetectedType.POST,
        platform_data={"post_id": post_id, "subreddit": subreddit},
        canonical_url=f"https://www.reddit.com/comments/{post_id}",
        label=f"r/{subreddit} post {post_id}" if subreddit else f"Reddit post {post_id}",
        default_options={"sort_by": "new"},
        url=url.url,
        name=slug_name(slug),
    )


def _share_link(url: ParsedURL, subreddit: str, code: str) -> Recognition:
    link = f"https://www.reddit.com/r/{subreddit}/s/{code}"
    return Recognition(
        platform=Platform.REDDIT,
        detected_type=DetectedType.POST,
        platform_data={"short_link": link, "subreddit": subreddit},
        canonical_url=link,
        label=f"r/{subreddit} shared link {code}",
        default_options={"sort_by": "new"},
        url=url.url,
        needs_resolution=True,
    )


def recognize(url: ParsedURL) -> Recognition:
    """A Reddit post target, or ``UnrecognizedURL`` saying what kind of page it is."""
    segments = url.segments
    lowered = [s.lower() for s in segments]
    sub = url.subdomain_of("redd.it")
    if sub is not None:
        if sub in ("i", "v", "preview"):
            raise refuse("this is an image or video file hosted by Reddit, not a post", Platform.REDDIT)
        if not segments:
            raise refuse("this redd.it link has no post ID", Platform.REDDIT)
        return _post(url, segments[0], None)
    if not segments:
        raise refuse("this is the Reddit home page, not a post", Platform.REDDIT)
    subreddit = user = None
    rest, rest_lower = segments, lowered
    if lowered[0] == "r" and len(segments) > 1:
        subreddit, rest, rest_lower = segments[1], segments[2:], lowered[2:]
    elif lowered[0] in ("u", "user") and len(segments) > 1:
        user, rest, rest_lower = segments[1], segments[2:], lowered[2:]
    if rest_lower[:1] in (["comments"], ["gallery"]):
        if len(rest) < 2:
            raise refuse("this Reddit link has no post ID after /comments/", Platform.REDDIT)
        slug = rest[2] if rest_lower[:1] == ["comments"] and len(rest) > 2 else ""
        return _post(url, rest[1], subreddit or (f"u_{user}" if user else None), slug)
    if subreddit and rest_lower[:1] == ["s"] and len(rest) > 1:
        return _share_link(url, subreddit, rest[1])
    if "search" in rest_lower[:1] or lowered[0] == "search":
        raise refuse("this is a Reddit search page, not a post", Platform.REDDIT)
    if user:
        raise refuse(f"this is the Reddit user page of u/{user}, not a post", Platform.REDDIT)
    if subreddit:
        raise refuse(
            f"this is the r/{subreddit} subreddit, not a post: open one of its posts and paste that link",
            Platform.REDDIT,
        )
    raise refuse(
        "no post ID in this Reddit URL: a post link contains /comments/ followed by its ID", Platform.REDDIT
    )

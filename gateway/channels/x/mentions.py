"""What a page of X mentions means: which posts are complaints, and what each one says.

A pure function of the API's JSON, so the rules read as a table in the tests:
the body is the post without its leading @mentions (X puts the whole reply chain
there); a `#Keyword` hashtag anywhere in the post is taken as the region keyword
(moved to the front, where the keyword parser looks); the account's own posts and
reposts are not complaints; a bare mention under someone's post ("@lapor1708" as a
reply) is a complaint about that post, so the replied-to post's text is used.
"""
from __future__ import annotations

import html
import re

from gateway.model import Message

CHANNEL = "x"

_LEADING_MENTIONS = re.compile(r"^\s*(?:@\w{1,15}\s*)+")
# a hashtag starts after a space or the start, not inside a word or an HTML entity; one of
# digits only is no region keyword ("cek #1000001" quotes a tracking number): it stays put
_HASHTAG = re.compile(r"(?<![\w&#])#(\w*[^\W\d_]\w*)")


def body_of(text: str) -> str:
    """The complaint in a post: no leading @mentions, HTML entities decoded, a hashtag first."""
    body = _LEADING_MENTIONS.sub("", html.unescape(text), count=1).strip()
    if body.startswith("#"):
        return body
    tag = _HASHTAG.search(body)
    if tag is None:
        return body
    rest = (body[:tag.start()].rstrip() + " " + body[tag.end():].lstrip()).strip()
    return f"#{tag.group(1)} {rest}".strip()


def messages_from_page(page: dict, account_id: str) -> list[Message]:
    """The complaints in one page of `GET /2/users/:id/mentions`, oldest first."""
    includes = page.get("includes") or {}
    referenced = {t["id"]: t for t in includes.get("tweets") or ()}
    found = []
    for post in reversed(page.get("data") or ()):  # the API pages newest first
        message = _message_from(post, account_id, referenced)
        if message is not None:
            found.append(message)
    return found


def _message_from(post: dict, account_id: str, referenced: dict) -> Message | None:
    author = str(post.get("author_id") or "")
    if not author or author == account_id:
        return None  # our own replies mention the citizen, and so can come back to us
    refs = post.get("referenced_tweets") or ()
    if any(r.get("type") == "retweeted" for r in refs) or post.get("text", "").startswith("RT @"):
        return None  # a repost says nothing new
    body = body_of(post.get("text", ""))
    flags: tuple[str, ...] = ()
    if not body:
        parent = next((referenced.get(r["id"]) for r in refs if r.get("type") == "replied_to"), None)
        if parent is not None and str(parent.get("author_id")) != account_id:
            body = body_of(parent.get("text", ""))
            flags = ("text_from_replied_post",)
    return Message(channel=CHANNEL, sender=author, text=body, dedup_key=post["id"],
                   channel_message_ids=(post["id"],), flags=flags,
                   reply_context={"tweet_id": post["id"],
                                  "conversation_id": post.get("conversation_id")})


def fit_reply(text: str, limit: int = 280, suffix: str = "") -> str:
    """A reply that fits one post, ending with `suffix` whole. Every template names the
    tracking number early, so a cut at the end (never needed for the SMS-sized templates)
    keeps it."""
    room = limit - len(suffix)
    return (text if len(text) <= room else text[:room - 1].rstrip() + "…") + suffix

"""The X API v2 calls the channel makes, through tweepy, each in a thread off the reactor.

tweepy's `Client` is synchronous (requests) and hard-codes https://api.twitter.com, with
no timeout. A requests transport adapter mounted on the client's session gives every
request a timeout and, for tests and the demo, sends it to another base URL (a fake on
127.0.0.1). Reading mentions uses the app-only bearer token; posting needs OAuth 1.0a
user context, which tweepy signs over the original URL before the adapter redirects it.
"""
from __future__ import annotations

import requests
import tweepy
from requests.adapters import HTTPAdapter
from twisted.internet import threads

X_API = "https://api.twitter.com"

#: what a mention must carry: who wrote it, the thread, and whether it is a repost
TWEET_FIELDS = ["author_id", "conversation_id", "created_at", "referenced_tweets", "in_reply_to_user_id"]
#: the authors, and the posts a mention replies to (a bare "@lapor1708" under a citizen's post)
EXPANSIONS = ["author_id", "referenced_tweets.id"]
USER_FIELDS = ["username"]


class _Transport(HTTPAdapter):
    """Sends requests for https://api.twitter.com to `base_url`, each with a timeout."""

    def __init__(self, base_url: str, timeout_s: float):
        super().__init__(pool_connections=2, pool_maxsize=4)
        self._base = base_url.rstrip("/")
        self._timeout = timeout_s

    def send(self, request, **kwargs):
        if self._base != X_API and request.url.startswith(X_API):
            request.url = self._base + request.url[len(X_API):]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


def make_client(*, bearer_token: str, consumer_key: str | None, consumer_secret: str | None,
                access_token: str | None, access_token_secret: str | None,
                base_url: str = X_API, timeout_s: float = 20.0) -> tweepy.Client:
    client = tweepy.Client(bearer_token=bearer_token, consumer_key=consumer_key,
                           consumer_secret=consumer_secret, access_token=access_token,
                           access_token_secret=access_token_secret, return_type=dict,
                           wait_on_rate_limit=False)  # never sleep in a thread; the poller waits
    client.session.mount(X_API + "/", _Transport(base_url, timeout_s))
    return client


class XApi:
    """The three calls the channel needs; each returns a Deferred and runs in a thread."""

    def __init__(self, client: tweepy.Client, reactor):
        self._client = client
        self._reactor = reactor

    def _in_thread(self, fn, *args, **kwargs):
        return threads.deferToThreadPool(self._reactor, self._reactor.getThreadPool(), fn,
                                         *args, **kwargs)

    def my_user_id(self):
        d = self._in_thread(self._client.get_me, user_auth=True)
        d.addCallback(lambda body: body["data"]["id"])
        return d

    def mentions(self, account_id: str, *, since_id: str | None, pagination_token: str | None,
                 max_results: int):
        """One page of mentions, newest first, as the API's JSON (a dict)."""
        params = dict(max_results=max_results, tweet_fields=TWEET_FIELDS, expansions=EXPANSIONS,
                      user_fields=USER_FIELDS)
        if since_id:
            params["since_id"] = since_id  # on every page, or paging runs past it
        if pagination_token:
            params["pagination_token"] = pagination_token
        return self._in_thread(self._client.get_users_mentions, account_id, **params)

    def own_replies(self, account_id: str):
        """The account's latest posts that reply to a post: {replied-to id: (post id, text)}
        — how a reply whose answer was lost is found to have been posted."""
        d = self._in_thread(self._client.get_users_tweets, account_id, max_results=100,
                            tweet_fields=["referenced_tweets"])
        d.addCallback(_replies_by_target)
        return d

    def post_reply(self, text: str, in_reply_to: str):
        """Post `text` in reply to post `in_reply_to`; fires with the new post's id."""
        d = self._in_thread(self._client.create_tweet, text=text, in_reply_to_tweet_id=str(in_reply_to),
                            user_auth=True)
        d.addCallback(lambda body: str(body["data"]["id"]))
        return d


#: failures that mean "try again later": the network, timeouts, X's own errors, rate limits
TRANSIENT = (requests.RequestException, tweepy.TwitterServerError, tweepy.TooManyRequests)


def _replies_by_target(body: dict) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for post in reversed(body.get("data") or []):   # newest last: it wins
        for ref in post.get("referenced_tweets") or ():
            if ref.get("type") == "replied_to":
                found[str(ref["id"])] = (str(post["id"]), post.get("text", ""))
    return found

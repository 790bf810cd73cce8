"""The X channel: polls the mentions of the LAPOR! account and answers each with a post.

One poll pages back from the newest mention to the stored `since_id` (sent again on
every page, as the API requires), committing each page as it arrives; only when the
last page is committed does the first page's `newest_id` become the stored `since_id`.
A failure mid-way keeps the position in memory and retries the same page; a restart
mid-way pages again from the top, and the store turns what was already committed into
duplicates (the dedup key is the post id). So a burst leaves no gap and no double.

Requests stay within a budget per 15 minutes; a 429 waits until `x-rate-limit-reset`;
other failures back off exponentially; nothing stops the poller but `stop`.
"""
from __future__ import annotations

import tweepy
from twisted.internet import defer
from twisted.internet.defer import inlineCallbacks

from gateway.channels.base import Channel, Intake, ReplyRejected
from gateway.channels.polling import DeliveryNotices, PollLoop, RequestBudget, accept_all
from gateway.channels.x.api import XApi, make_client
from gateway.channels.x.mentions import CHANNEL, fit_reply, messages_from_page
from gateway.channels.x.settings import XSettings
from gateway.logging import get_logger

log = get_logger(__name__)


class _Walk:
    """Where one poll is while paging back to `since_id`."""

    def __init__(self, since_id: str | None):
        self.since_id = since_id
        self.next_token: str | None = None
        self.newest_id: str | None = None   # the first page's: the next since_id
        self.pages = 0
        self.mentions = 0
        self.bottom_reached = False


class XChannel(Channel):
    name = CHANNEL
    required = False  # X being down (or out of paid quota) must not make the gateway unready

    def __init__(self, api: XApi, reactor, *, account_id: str = "", poll_interval_s: float = 60.0,
                 requests_per_15min: int = 10, max_results: int = 100, retry_initial_s: float = 5.0,
                 retry_max_s: float = 900.0, start_since_id: str = "", clock=None):
        self._api = api
        self._clock = clock or reactor
        self._account_id = account_id or None
        self._interval = poll_interval_s
        self._max_results = max_results
        self._start_since_id = start_since_id or None
        self.budget = RequestBudget(self._clock, requests_per_15min)
        self.loop = PollLoop(CHANNEL, self._poll, self._clock, retry_initial_s=retry_initial_s,
                             retry_max_s=retry_max_s)
        self.deliveries = DeliveryNotices(CHANNEL, reactor)
        self._intake: Intake | None = None
        self._since_id: str | None = None
        self._walk: _Walk | None = None

    # -- Channel ---------------------------------------------------------------------------
    @inlineCallbacks
    def start(self, intake: Intake):
        self._intake = self.deliveries.intake = intake
        stored = yield intake.load_cursor(CHANNEL)
        self._since_id = stored or self._start_since_id
        log.info("x channel polling mentions", since_id=self._since_id, interval_s=self._interval,
                 budget_per_15min=self.budget.limit)
        self.loop.start()

    def stop(self):
        return self.loop.stop()

    def is_up(self) -> bool:
        return self.loop.healthy

    def send(self, reply):
        tweet_id = reply.reply_context.get("tweet_id")
        if not tweet_id:
            return defer.fail(ReplyRejected("no post to reply to"))
        d = self._api.post_reply(fit_reply(reply.text), tweet_id)
        d.addCallbacks(self._posted, _refused_for_good)
        return d

    def _posted(self, post_id: str) -> str:
        self.deliveries.posted(post_id, "POSTED")  # a post is public once X accepts it
        return post_id

    # -- polling ---------------------------------------------------------------------------
    @inlineCallbacks
    def _poll(self):
        """One step: fetch and commit one page; returns the seconds until the next step."""
        if self._account_id is None:
            self._account_id = yield self._api.my_user_id()
        walk = self._walk
        if walk is None:
            walk = self._walk = _Walk(self._since_id)
        if not walk.bottom_reached:
            wait = self.budget.wait_s()
            if wait > 0:
                return wait
            self.budget.spend()
            try:
                page = yield self._api.mentions(self._account_id, since_id=walk.since_id,
                                                pagination_token=walk.next_token,
                                                max_results=self._max_results)
            except tweepy.TooManyRequests as limited:
                reset = limited.reset_time or self._clock.seconds() + self.budget.window_s
                self.budget.block_until(reset + 1)  # +1: the reset second itself may still be limited
                log.warning("x rate limit reached; waiting for the reset",
                            wait_s=round(self.budget.wait_s(), 1))
                return self.budget.wait_s()
            messages = messages_from_page(page, self._account_id)
            yield accept_all(self._intake, messages)  # fails on StoreUnavailable: page not passed
            meta = page.get("meta") or {}
            if walk.pages == 0:
                walk.newest_id = meta.get("newest_id")
            walk.pages += 1
            walk.mentions += len(messages)
            walk.next_token = meta.get("next_token")
            if walk.next_token:
                return 0  # page on at once (within the budget): a burst must not wait an interval
            walk.bottom_reached = True
        if walk.newest_id:
            yield self._intake.save_cursor(CHANNEL, walk.newest_id)
            self._since_id = walk.newest_id
        if walk.mentions or walk.pages > 1:
            log.info("x mentions taken", mentions=walk.mentions, pages=walk.pages,
                     since_id=self._since_id)
        self._walk = None
        return self._interval


def _refused_for_good(failure):
    # 400/403/404: X will never take this reply (post deleted, replies restricted, the same
    # text already posted - which also means an earlier, unanswered attempt got through).
    # Anything else (network, timeout, 401 until ops fix the keys, 429, 5xx) is retried.
    if failure.check(tweepy.BadRequest, tweepy.Forbidden, tweepy.NotFound):
        raise ReplyRejected(f"X refused the reply: {failure.getErrorMessage()}"[:300])
    return failure


def from_settings(settings: XSettings, secrets, reactor) -> XChannel:
    """The channel as configured; `secrets` is the config's resolver (`Settings.secrets_resolver()`)."""
    def secret(name):
        return secrets.get(name).reveal()

    client = make_client(bearer_token=secret("x_bearer_token"), consumer_key=secret("x_consumer_key"),
                         consumer_secret=secret("x_consumer_secret"),
                         access_token=secret("x_access_token"),
                         access_token_secret=secret("x_access_token_secret"),
                         base_url=settings.api_base_url, timeout_s=settings.request_timeout_s)
    return XChannel(XApi(client, reactor), reactor, account_id=settings.account_id,
                    poll_interval_s=settings.poll_interval_s,
                    requests_per_15min=settings.requests_per_15min, max_results=settings.max_results,
                    retry_initial_s=settings.retry_initial_s, retry_max_s=settings.retry_max_s,
                    start_since_id=settings.start_since_id)

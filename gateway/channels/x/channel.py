"""The X channel: polls the mentions of the LAPOR! account and answers each with a post.

One poll pages back from the newest mention to the stored `since_id` (sent again on
every page, as the API requires), committing each page as it arrives; only when the
last page is committed does the first page's `newest_id` become the stored `since_id`.
A failure mid-way keeps the position in memory and retries the same page; a restart
mid-way pages again from the top, and the database turns what was already committed into
duplicates (the dedup key is the post id). So a burst leaves no gap and no double.

Requests stay within a budget per 15 minutes; a 429 waits until `x-rate-limit-reset`;
other failures back off exponentially; nothing stops the poller but `stop`. The
budget and any 429 wait are stored, so a restart neither overspends nor asks early.
The API serves only the latest 800 mentions: a poll that took that many may have
missed older ones, and says so (logged, counted). It polls only between `start_polling`
and `stop_polling` — while this instance holds the poller among several (see
gateway/leadership.py) — and starts each turn from the stored since_id and budget.

Replies are posts, within their own stored budget; a 429 pauses them until the reset
without spending an attempt. A post whose answer was lost (timeout, dropped
connection) is in doubt: the account's latest posts are looked up — found, it is sent;
not found, it is posted again. A 403 "duplicate content" means an earlier attempt got
through: it is looked up the same way, not recorded as failed.
"""
from __future__ import annotations

import requests
import tweepy
from prometheus_client.core import CounterMetricFamily
from twisted.internet.defer import inlineCallbacks, succeed

from gateway.channels.base import (Channel, Intake, ReplyPaused, ReplyRejected, ReplyUncertain,
                                   Settlement)
from gateway.channels.polling import DeliveryNotices, PollLoop, RequestBudget, accept_all
from gateway.channels.x.api import XApi, make_client
from gateway.channels.x.mentions import CHANNEL, fit_reply, messages_from_page
from gateway.channels.x.settings import XSettings
from gateway.logging import get_logger

log = get_logger(__name__)

#: how many of the newest mentions the API serves at all
MENTIONS_SERVED = 800
MENTIONS_BUDGET_HINT = "x:mentions-budget"
POSTS_BUDGET_HINT = "x:posts-budget"
#: the window X counts posts in
POST_WINDOW_S = 900.0
#: how long one look-up of the account's posts serves the replies in doubt
LOOKUP_FRESH_S = 30.0


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
    # One post at a time: the post budget (~100 per 15 min) is far below what one
    # connection can do, and a 429 then stops the very next post, not a handful in flight.
    send_slots = 1
    delivered_on_acceptance = "POSTED"

    def __init__(self, api: XApi, reactor, settings: XSettings, clock=None):
        self._api = api
        self._clock = clock or reactor
        self._account_id = settings.account_id or None
        self._interval = settings.poll_interval_s
        self._max_results = settings.max_results
        self._start_since_id = settings.start_since_id or None
        self.budget = RequestBudget(self._clock, settings.requests_per_15min)
        #: X counts posts per account: the budget is spent in the database, shared by every
        #: instance (`Intake.spend_budget`), never by this process alone
        self.posts_per_window = settings.posts_per_15min
        self.missed_polls = 0       # polls that reached the API's 800 mentions: some may be lost
        self._looked_up: tuple[float, dict] | None = None
        self.loop = PollLoop(CHANNEL, self._poll, self._clock, retry_initial_s=settings.retry_initial_s,
                             retry_max_s=settings.retry_max_s)
        self.deliveries = DeliveryNotices(CHANNEL, reactor)
        self._intake: Intake | None = None
        self._since_id: str | None = None
        self._walk: _Walk | None = None
        self._polling = False

    # -- Channel ---------------------------------------------------------------------------
    def start(self, intake: Intake):
        """Ready to post replies; the mentions are polled between start_ and stop_polling."""
        self._intake = self.deliveries.intake = intake
        return succeed(None)

    def stop(self):
        self._polling = False
        return self.loop.stop()

    def polls(self) -> bool:
        return True

    @inlineCallbacks
    def start_polling(self):
        """Poll from the stored since_id within the stored budget: as this instance last
        left them, or as another instance that polled meanwhile did."""
        stored = yield self._intake.load_cursor(CHANNEL)
        self._since_id = stored or self._start_since_id
        self.budget.reload((yield self._intake.load_hint(MENTIONS_BUDGET_HINT)))
        self._walk = None     # a walk cut short here is paged again from the top
        self._polling = True
        log.info("x channel polling mentions", since_id=self._since_id, interval_s=self._interval,
                 budget_per_15min=self.budget.limit)
        self.loop.start()

    def stop_polling(self):
        self._polling = False
        return self.loop.stop()

    def metrics(self):
        yield CounterMetricFamily("lapor_x_polls_possibly_missed", "Mention polls that reached the"
                                  " API's 800 newest mentions before the stored since_id: older ones"
                                  " may be lost.", value=self.missed_polls)

    def is_up(self) -> bool:
        # Not polling (another instance does): up as long as it can post.
        return self.loop.healthy or not self._polling

    def conversation(self, reply) -> str:
        return str(reply.reply_context.get("tweet_id") or reply.recipient)

    @inlineCallbacks
    def send(self, reply):
        tweet_id = reply.reply_context.get("tweet_id")
        if not tweet_id:
            raise ReplyRejected("no post to reply to")
        try:
            post_id = yield self._post(fit_reply(reply.text), tweet_id)
        except _Duplicate:
            post_id = yield self._own_reply_to(reply, fresh=True)   # an earlier attempt got through?
            if post_id is None:
                post_id = yield self._post_as_own(reply, tweet_id)
        return self._posted(post_id)

    @inlineCallbacks
    def _post_as_own(self, reply, tweet_id: str):
        """X refuses the same words twice from one account even to different people (the
        help, "not found"): the mention's reference makes them this citizen's own."""
        try:
            return (yield self._post(fit_reply(reply.text, suffix=f" (ref. {tweet_id[-6:]})"), tweet_id))
        except _Duplicate:
            raise ReplyRejected("X calls the reply a duplicate, yet it is not among our posts") from None

    @inlineCallbacks
    def _post(self, text: str, tweet_id: str):
        """Post `text` in reply to `tweet_id` within the account's post budget: the new post's id."""
        now = self._clock.seconds()
        wait = yield self._intake.spend_budget(POSTS_BUDGET_HINT, self.posts_per_window, POST_WINDOW_S, now)
        if wait > 0:
            raise ReplyPaused(now + wait, "the X post budget is spent")
        try:
            return (yield self._api.post_reply(text, tweet_id))
        except tweepy.TooManyRequests as limited:
            reset = (limited.reset_time or now + POST_WINDOW_S) + 1
            yield self._intake.block_budget(POSTS_BUDGET_HINT, reset)
            raise ReplyPaused(reset, "X rate limit on posts (429)") from None
        except tweepy.Forbidden as refused:
            if "duplicate" in str(refused).lower():
                raise _Duplicate() from None
            raise ReplyRejected(f"X refused the reply: {refused}"[:300]) from None
        except (tweepy.BadRequest, tweepy.NotFound) as refused:   # post deleted, replies closed
            raise ReplyRejected(f"X refused the reply: {refused}"[:300]) from None
        except requests.RequestException as error:
            if _never_sent(error):
                raise
            raise ReplyUncertain(f"X did not answer the post: {type(error).__name__}") from None

    def _posted(self, post_id: str) -> str:
        self.deliveries.posted(post_id, "POSTED")  # a post is public once X accepts it
        return post_id

    @inlineCallbacks
    def settle(self, reply):
        """Look the reply up among the account's latest posts: there, it was sent;
        not there, X shows it was not, and it is posted again."""
        found = yield self._own_reply_to(reply)
        if found is not None:
            return Settlement.sent(self._posted(found), reason="found among the account's posts")
        return Settlement.resend("not among the account's posts")

    @inlineCallbacks
    def _own_reply_to(self, reply, fresh: bool = False):
        """The id of our post answering the reply's post, or None (one look-up serves
        every reply in doubt for `LOOKUP_FRESH_S`)."""
        now = self._clock.seconds()
        if fresh or self._looked_up is None or now - self._looked_up[0] > LOOKUP_FRESH_S:
            if self._account_id is None:
                self._account_id = yield self._api.my_user_id()
            self._looked_up = (now, (yield self._api.own_replies(self._account_id)))
        found = self._looked_up[1].get(str(reply.reply_context.get("tweet_id")))
        return found[0] if found else None

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
            yield self._intake.save_hint(MENTIONS_BUDGET_HINT, self.budget.state())
            try:
                page = yield self._api.mentions(self._account_id, since_id=walk.since_id,
                                                pagination_token=walk.next_token,
                                                max_results=self._max_results)
            except tweepy.TooManyRequests as limited:
                reset = limited.reset_time or self._clock.seconds() + self.budget.window_s
                self.budget.block_until(reset + 1)  # +1: the reset second itself may still be limited
                yield self._intake.save_hint(MENTIONS_BUDGET_HINT, self.budget.state())
                log.warning("x rate limit reached; waiting for the reset",
                            wait_s=round(self.budget.wait_s(), 1))
                return self.budget.wait_s()
            messages = messages_from_page(page, self._account_id)
            yield accept_all(self._intake, messages)  # fails on DatabaseUnavailable: page not passed
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
        if walk.mentions >= MENTIONS_SERVED:
            self.missed_polls += 1
            log.warning("x mentions may have been missed: the poll reached the API's limit of"
                        " 800 before the last since_id", mentions=walk.mentions, pages=walk.pages)
        if walk.mentions or walk.pages > 1:
            log.info("x mentions taken", mentions=walk.mentions, pages=walk.pages,
                     since_id=self._since_id)
        self._walk = None
        return self._interval


def _never_sent(error: requests.RequestException) -> bool:
    """Whether the request surely did not reach X (no connection was made): then it is an
    ordinary failed attempt; otherwise the post may exist and its send is in doubt."""
    return isinstance(error, requests.ConnectTimeout) or (
        isinstance(error, requests.ConnectionError) and "NewConnectionError" in repr(error))


def from_settings(settings: XSettings, secrets, reactor) -> XChannel:
    """The channel as configured; `secrets` is the config's resolver (`Settings.secrets_resolver()`)."""
    def secret(name):
        return secrets.get(name).reveal()

    client = make_client(bearer_token=secret("x_bearer_token"), consumer_key=secret("x_consumer_key"),
                         consumer_secret=secret("x_consumer_secret"),
                         access_token=secret("x_access_token"),
                         access_token_secret=secret("x_access_token_secret"),
                         base_url=settings.api_base_url, timeout_s=settings.request_timeout_s)
    return XChannel(XApi(client, reactor), reactor, settings)


class _Duplicate(Exception):
    """X refused a post as a duplicate of one the account made."""

"""The `[channels.x]` config section: polling the mentions of @lapor1708 and replying as posts.

Config (TOML):

    [channels.x]
    enabled = true
    account_id = "1234567890"      # the numeric user id of the account citizens mention
    requests_per_15min = 10        # what the X plan allows for the mentions endpoint, minus headroom
    poll_interval_s = 90           # poll_interval_s * requests_per_15min must be >= 900

Secrets: x_bearer_token (reading mentions, app-only auth) and x_consumer_key,
x_consumer_secret, x_access_token, x_access_token_secret (posting replies: an app-only
bearer token cannot post).
"""
from __future__ import annotations

from dataclasses import dataclass

#: the window X counts requests in, in seconds
BUDGET_WINDOW_S = 15 * 60

#: the bearer token reads mentions (app-only); posting needs the user-context OAuth 1.0a four
SECRETS = ("x_bearer_token", "x_consumer_key", "x_consumer_secret", "x_access_token",
           "x_access_token_secret")


@dataclass(frozen=True)
class XSettings:
    enabled: bool = False
    # Numeric user id of the account citizens mention (@lapor1708). Empty: asked once from
    # GET /2/users/me at start (one extra request).
    account_id: str = ""
    # Seconds between mention polls once the previous one has paged back to the last since_id.
    # A poll costs at least one request, so poll_interval_s * requests_per_15min must be at
    # least 900: 90 s fits the default budget of 10 (60 s would need 15 requests).
    poll_interval_s: float = 90.0
    # Mention requests allowed in any 15 minutes (pages of one poll count one each). Keep it
    # under the plan's limit so that 429 stays the exception.
    requests_per_15min: int = 10
    # Replies (posts) allowed in any 15 minutes; beyond it replies wait, spending no attempt.
    posts_per_15min: int = 100
    # Mentions per page, 5-100.
    max_results: int = 100
    # Seconds before an X request is given up (then retried with backoff).
    request_timeout_s: float = 20.0
    # Failed polls are retried after waits growing from retry_initial_s to retry_max_s.
    retry_initial_s: float = 5.0
    retry_max_s: float = 900.0
    # The since_id to start from when none is stored yet. Empty: take every mention the API
    # still serves (up to 800) on the very first start.
    start_since_id: str = ""
    # The API's address; only tests and the demo point it elsewhere (a fake on 127.0.0.1).
    api_base_url: str = "https://api.twitter.com"

    def problems(self) -> list[str]:
        """What is wrong with these settings, as `key: reason` (empty when fine)."""
        found = []
        if not 5 <= self.max_results <= 100:
            found.append("max_results: must be 5-100")
        if self.requests_per_15min < 1:
            found.append("requests_per_15min: must be at least 1")
        if self.posts_per_15min < 1:
            found.append("posts_per_15min: must be at least 1")
        if self.account_id and not self.account_id.isdigit():
            found.append("account_id: must be the numeric user id, not the @handle")
        for key in ("poll_interval_s", "request_timeout_s", "retry_initial_s", "retry_max_s"):
            if getattr(self, key) <= 0:
                found.append(f"{key}: must be greater than 0")
        found += self._budget_problems()
        return found

    def _budget_problems(self) -> list[str]:
        # Why: polls that do not fit the budget spend it early in every window and then run
        # into 429s, so mentions arrive in bursts late instead of steadily.
        if self.poll_interval_s <= 0 or self.requests_per_15min < 1:
            return []  # reported above
        if self.poll_interval_s * self.requests_per_15min >= BUDGET_WINDOW_S:
            return []
        fitting = -(-BUDGET_WINDOW_S // self.requests_per_15min)  # ceiling division
        return [f"poll_interval_s: {self.poll_interval_s:g} s does not fit requests_per_15min ="
                f" {self.requests_per_15min}: a poll costs at least one request, so"
                f" poll_interval_s * requests_per_15min must be at least {BUDGET_WINDOW_S}"
                f" (15 minutes); poll every {fitting:g} s or more, or raise requests_per_15min"]

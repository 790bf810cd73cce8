"""A fake X API v2 on 127.0.0.1, for tests and the demo: the mentions timeline and posting.

It follows the real paths and JSON shapes — `GET /2/users/:id/mentions` pages newest
first with `since_id`, `max_results` (5-100) and an opaque `pagination_token`, answers
`{"data", "includes": {"users", "tweets"}, "meta": {"newest_id", "oldest_id",
"result_count", "next_token"}}` or `{"meta": {"result_count": 0}}` when empty;
`POST /2/tweets` takes `{"text", "reply": {"in_reply_to_tweet_id"}}`, refuses a text
it already posted (403, as X does) and answers 201 `{"data": {"id", "text"}}`;
`GET /2/users/me`; `GET /2/users/:id/tweets` (a user's own posts, newest first, with
`referenced_tweets` when asked). Reads need a bearer token, posts an OAuth 1.0a header.
It counts the most mention-timeline requests it ever had in flight at once
(`max_concurrent_mentions`: 1 while one poller runs); `response_delay_s` holds each
such answer a while, so that two pollers' requests would overlap and show.
Tests script failures of mention requests or of posts: a 429 with
`x-rate-limit-reset`, a 5xx, or a dropped connection (for a post: after it was made, as
when the answer is lost on the way back).
"""
from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timezone

from twisted.internet import defer
from twisted.web import resource, server

from gateway.web import quiet_site


#: how many of the newest mentions the mentions timeline serves at all
MENTIONS_SERVED = 800


class FakeX:
    def __init__(self, reactor, account_id: str = "1708000000000000000", username: str = "lapor1708"):
        self._reactor = reactor
        self.account = {"id": account_id, "name": "LAPOR! 1708", "username": username}
        self.users = {account_id: self.account}
        self.posts: dict[str, dict] = {}
        self.mention_ids: list[str] = []          # posts that mention the account, oldest first
        self.replies: list[dict] = []             # posts the account made through POST /2/tweets
        self.on_posted: list = []                 # called with each of them (serve.py's log)
        self.requests: list[dict] = []            # every request: method, path, params
        self._ids = itertools.count(1_860_000_000_000_000_001)
        self._failures: list[tuple] = []
        self._post_failures: list[tuple] = []
        self.post_attempts: list[float] = []      # when each POST /2/tweets arrived (epoch s)
        self.hide_from_lookup = 0                 # the next N look-ups miss our posts (lag)
        self._reply_waiters: list[tuple[int, defer.Deferred]] = []
        self._port = None
        self.response_delay_s = 0.0               # each mentions answer held back this long
        self.mentions_in_flight = 0
        self.max_concurrent_mentions = 0          # the most mention requests in flight at once

    # -- serving ---------------------------------------------------------------------------
    def listen(self, port: int = 0) -> "FakeX":
        self._port = self._reactor.listenTCP(port, quiet_site(_Api(self)), interface="127.0.0.1")
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port.getHost().port}"

    def stop(self):
        return defer.maybeDeferred(self._port.stopListening)

    # -- scripting -------------------------------------------------------------------------
    def user(self, username: str, user_id: str | None = None) -> dict:
        user_id = user_id or str(next(self._ids))
        self.users[user_id] = {"id": user_id, "name": username.title(), "username": username}
        return self.users[user_id]

    def mention(self, username: str, text: str, *, in_reply_to: str | None = None,
                repost_of: str | None = None, author_id: str | None = None) -> str:
        """A post by `username` (made up if new) that mentions the account; returns its id."""
        author = self.users.get(author_id) if author_id else None
        if author is None:
            author = next((u for u in self.users.values() if u["username"] == username), None) \
                or self.user(username, author_id)
        post = self._post(author["id"], text)
        if in_reply_to:
            post["referenced_tweets"] = [{"type": "replied_to", "id": in_reply_to}]
            post["conversation_id"] = self.posts[in_reply_to]["conversation_id"]
            post["in_reply_to_user_id"] = self.posts[in_reply_to]["author_id"]
        if repost_of:
            post["referenced_tweets"] = [{"type": "retweeted", "id": repost_of}]
        self.mention_ids.append(post["id"])
        return post["id"]

    def plain_post(self, username: str, text: str) -> str:
        """A post that does not mention the account (e.g. the one a citizen then tags us under)."""
        author = next((u for u in self.users.values() if u["username"] == username), None) \
            or self.user(username)
        return self._post(author["id"], text)["id"]

    def fail_next(self, status: int = 503, *, times: int = 1, reset_at: int | None = None,
                  drop: bool = False) -> None:
        """The next `times` mention requests fail: HTTP `status` (429 with `reset_at`), or the
        connection is dropped (`drop`)."""
        self._failures.extend([(status, reset_at, drop)] * times)

    def fail_next_post(self, status: int = 503, *, times: int = 1, reset_at: int | None = None,
                       drop_after_posting: bool = False) -> None:
        """The next `times` posts fail: HTTP `status` (429 with `reset_at`), or the post is
        made and the connection dropped before the answer (`drop_after_posting`)."""
        self._post_failures.extend([(status, reset_at, drop_after_posting)] * times)

    def next_post_failure(self):
        return self._post_failures.pop(0) if self._post_failures else None

    def user_posts(self, user_id: str, params: dict) -> tuple[int, dict]:
        """GET /2/users/:id/tweets: the user's own posts, newest first."""
        max_results = int(params.get("max_results", 10))
        if not 5 <= max_results <= 100:
            return 400, _problem(400, "The `max_results` query parameter value is not between 5 and 100")
        own = sorted((p for p in self.posts.values() if p["author_id"] == user_id),
                     key=lambda p: int(p["id"]), reverse=True)[:max_results]
        if self.hide_from_lookup > 0:   # X's timelines can lag behind a post just made
            self.hide_from_lookup -= 1
            own = []
        if not own:
            return 200, {"meta": {"result_count": 0}}
        wanted = set(params.get("tweet.fields", "").split(",")) | {"id", "text", "edit_history_tweet_ids"}
        return 200, {"data": [{k: v for k, v in p.items() if k in wanted} for p in own],
                     "meta": {"result_count": len(own), "newest_id": own[0]["id"],
                              "oldest_id": own[-1]["id"]}}

    def wait_for_replies(self, count: int) -> defer.Deferred:
        if len(self.replies) >= count:
            return defer.succeed(self.replies)
        d = defer.Deferred()
        self._reply_waiters.append((count, d))
        return d

    def mention_requests(self) -> list[dict]:
        return [r["params"] for r in self.requests if r["path"].endswith("/mentions")]

    # -- the API ---------------------------------------------------------------------------
    def _post(self, author_id: str, text: str) -> dict:
        post_id = str(next(self._ids))
        post = {"id": post_id, "text": text, "author_id": author_id, "conversation_id": post_id,
                "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "edit_history_tweet_ids": [post_id]}
        self.posts[post_id] = post
        return post

    def mentions_page(self, user_id: str, params: dict) -> tuple[int, dict]:
        if user_id != self.account["id"]:
            return 200, {"meta": {"result_count": 0}}
        max_results = int(params.get("max_results", 10))
        if not 5 <= max_results <= 100:
            return 400, _problem(400, "The `max_results` query parameter value is not between 5 and 100")
        since = int(params.get("since_id") or 0)
        token = params.get("pagination_token")
        until = int(token.removeprefix("p1"), 16) if token else None
        served = self.mention_ids[-MENTIONS_SERVED:]   # X serves only the newest 800 mentions
        ids = sorted((int(i) for i in served if int(i) > since and (until is None or int(i) < until)),
                     reverse=True)
        page, more = ids[:max_results], len(ids) > max_results
        if not page:
            return 200, {"meta": {"result_count": 0}}
        data = [self.posts[str(i)] for i in page]
        wanted = set(params.get("tweet.fields", "").split(",")) | {"id", "text", "edit_history_tweet_ids"}
        body = {"data": [{k: v for k, v in p.items() if k in wanted} for p in data]}
        includes = {}
        expansions = params.get("expansions", "").split(",")
        if "author_id" in expansions:
            includes["users"] = _unique(self.users[p["author_id"]] for p in data)
        if "referenced_tweets.id" in expansions:
            refs = [self.posts[r["id"]] for p in data for r in p.get("referenced_tweets", ())
                    if r["id"] in self.posts]
            if refs:
                includes["tweets"] = _unique(refs)
        if includes:
            body["includes"] = includes
        meta = {"result_count": len(page), "newest_id": str(page[0]), "oldest_id": str(page[-1])}
        if more:
            meta["next_token"] = "p1" + format(page[-1], "x")
        body["meta"] = meta
        return 200, body

    def create_post(self, payload: dict) -> tuple[int, dict]:
        text = payload.get("text", "")
        reply_to = (payload.get("reply") or {}).get("in_reply_to_tweet_id")
        if not isinstance(text, str) or not text or len(text) > 280:
            return 400, _problem(400, "Invalid text")
        if reply_to is not None and (not isinstance(reply_to, str) or reply_to not in self.posts):
            return 400, _problem(400, "Invalid reply: in_reply_to_tweet_id")
        if any(r["text"] == text for r in self.replies):
            return 403, _problem(403, "You are not allowed to create a Tweet with duplicate content.")
        post = self._post(self.account["id"], text)
        if reply_to:
            post["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
            post["conversation_id"] = self.posts[reply_to]["conversation_id"]
        self.replies.append({"id": post["id"], "text": text, "in_reply_to_tweet_id": reply_to})
        for listener in self.on_posted:
            listener(self.replies[-1])
        ready = [d for n, d in self._reply_waiters if n <= len(self.replies)]
        self._reply_waiters = [(n, d) for n, d in self._reply_waiters if n > len(self.replies)]
        for d in ready:
            d.callback(self.replies)
        return 201, {"data": {"id": post["id"], "text": text, "edit_history_tweet_ids": [post["id"]]}}

    def clock_seconds(self) -> float:
        return time.time()

    def next_failure(self):
        return self._failures.pop(0) if self._failures else None


def _unique(items) -> list[dict]:
    seen = {}
    for item in items:
        seen.setdefault(item["id"], item)
    return list(seen.values())


def _problem(status: int, detail: str) -> dict:
    titles = {400: "Invalid Request", 401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests",
              503: "Service Unavailable"}
    return {"title": titles.get(status, "Error"), "detail": detail, "type": "about:blank",
            "status": status}


class _Api(resource.Resource):
    isLeaf = True

    def __init__(self, fake: FakeX):
        super().__init__()
        self._fake = fake

    def render(self, request):
        path = request.path.decode()
        params = {k.decode(): v[-1].decode() for k, v in request.args.items()}
        self._fake.requests.append({"method": request.method.decode(), "path": path, "params": params})
        auth = (request.getHeader("authorization") or "")
        request.setHeader(b"content-type", b"application/json; charset=utf-8")
        parts = path.strip("/").split("/")
        if request.method == b"GET" and len(parts) == 4 and parts[:2] == ["2", "users"] \
                and parts[3] == "mentions":
            if not auth.startswith("Bearer ") and not auth.startswith("OAuth "):
                return _answer(request, 401, _problem(401, "Unauthorized"))
            failure = self._fake.next_failure()
            if failure is not None:
                return self._fail(request, *failure)
            request.setHeader(b"x-rate-limit-limit", b"450")
            return self._mentions(request, *self._fake.mentions_page(parts[2], params))
        if request.method == b"GET" and len(parts) == 4 and parts[:2] == ["2", "users"] \
                and parts[3] == "tweets":
            if not auth.startswith("Bearer ") and not auth.startswith("OAuth "):
                return _answer(request, 401, _problem(401, "Unauthorized"))
            return _answer(request, *self._fake.user_posts(parts[2], params))
        if request.method == b"GET" and parts == ["2", "users", "me"]:
            if not auth.startswith("OAuth "):
                return _answer(request, 403, _problem(403, "user context required"))
            return _answer(request, 200, {"data": self._fake.account})
        if request.method == b"POST" and parts == ["2", "tweets"]:
            if not auth.startswith("OAuth "):
                return _answer(request, 403, _problem(
                    403, "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint."))
            try:
                payload = json.loads(request.content.read() or b"{}")
            except ValueError:
                return _answer(request, 400, _problem(400, "body is not JSON"))
            self._fake.post_attempts.append(self._fake.clock_seconds())
            failure = self._fake.next_post_failure()
            if failure is not None and failure[2]:     # made, but the answer is lost
                self._fake.create_post(payload)
                request.transport.abortConnection()
                return server.NOT_DONE_YET
            if failure is not None:
                return self._fail(request, failure[0], failure[1], False)
            return _answer(request, *self._fake.create_post(payload))
        return _answer(request, 404, _problem(404, f"no route {request.method.decode()} {path}"))

    def _mentions(self, request, status: int, body: dict):
        """Answer a mentions request, `response_delay_s` later; count it while in flight."""
        fake = self._fake
        fake.mentions_in_flight += 1
        fake.max_concurrent_mentions = max(fake.max_concurrent_mentions, fake.mentions_in_flight)
        done = request.notifyFinish()
        done.addBoth(lambda _: setattr(fake, "mentions_in_flight", fake.mentions_in_flight - 1))
        if not fake.response_delay_s:
            return _answer(request, status, body)
        timer = fake._reactor.callLater(fake.response_delay_s, _finish, request, status, body)
        done.addErrback(lambda _: timer.cancel() if timer.active() else None)
        return server.NOT_DONE_YET

    @staticmethod
    def _fail(request, status, reset_at, drop):
        if drop:
            request.transport.abortConnection()
            return server.NOT_DONE_YET
        if reset_at is not None:
            request.setHeader(b"x-rate-limit-remaining", b"0")
            request.setHeader(b"x-rate-limit-reset", str(int(reset_at)).encode())
        return _answer(request, status, _problem(status, "Too Many Requests" if status == 429
                                                 else "scripted failure"))


def _finish(request, status: int, body: dict) -> None:
    if not request._disconnected:
        request.write(_answer(request, status, body))
        request.finish()


def _answer(request, status: int, body: dict) -> bytes:
    request.setResponseCode(status)
    return json.dumps(body, ensure_ascii=False).encode()

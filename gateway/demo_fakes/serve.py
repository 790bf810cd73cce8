"""The fake X and Telegram APIs as a process of their own, for drills that kill the
gateway: they must outlive it, as the real services do.

    python -m gateway.demo_fakes.serve --mentions 1000 --messages 1000 --rate 200 \
        --sent-log sent.jsonl

prints one JSON line when listening ({"event": "fakes listening", "x": URL,
"telegram": URL, "account_id": ...}); then citizens mention @lapor1708 and write to the
bot at `--rate` per second on each, every tenth message to the bot being /start and every
25th a sticker (both answered by the bot itself, not complaints); every post the account
makes and every message the bot sends is appended to `--sent-log` as a JSON line
({"channel": "x", "in_reply_to": id} or {"channel": "telegram", "chat_id": id}), flushed
at once. It runs until killed.

For drills with several gateways, `--response-delay S` holds every mentions answer and
every getUpdates answer S seconds, and the listening line names a `stats` URL whose JSON
tells how many pollers each service saw at once (`max_concurrent_mentions`,
`max_concurrent_polls`: 1 when one instance polls; Telegram's 409 `conflicts`).
"""
from __future__ import annotations

import argparse
import json
import sys

from twisted.web import resource

from gateway.demo_fakes.fake_telegram import FakeTelegram
from gateway.demo_fakes.fake_x import FakeX
from gateway.web import json_response, quiet_site

FIRST_CHAT = 900_000


def telegram_message(fake: FakeTelegram, n: int) -> None:
    chat = FIRST_CHAT + n
    if n % 10 == 0:
        fake.say(chat, "/start")
    elif n % 25 == 0:
        fake.say(chat, sticker=True)
    else:
        fake.say(chat, f"Jateng Jalan rusak di desa nomor {n}")


def is_complaint(n: int) -> bool:
    """Whether message `n` to the bot is a complaint (see `telegram_message`)."""
    return n % 10 != 0 and n % 25 != 0


class Stats(resource.Resource):
    """GET: how many pollers each fake saw at once, and how often it was asked."""
    isLeaf = True

    def __init__(self, x: FakeX, telegram: FakeTelegram):
        super().__init__()
        self._x, self._telegram = x, telegram

    def render_GET(self, request):
        return json_response(request, 200, {
            "x": {"max_concurrent_mentions": self._x.max_concurrent_mentions,
                  "mention_requests": len(self._x.mention_requests())},
            "telegram": {"max_concurrent_polls": self._telegram.max_concurrent_polls,
                         "polls": len(self._telegram.offsets), "conflicts": self._telegram.conflicts}})


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mentions", type=int, default=0)
    p.add_argument("--messages", type=int, default=0)
    p.add_argument("--rate", type=float, default=100.0, help="per second, on each service")
    p.add_argument("--sent-log", required=True)
    p.add_argument("--response-delay", type=float, default=0.0,
                   help="seconds each mentions and getUpdates answer is held back")
    args = p.parse_args(argv)

    from twisted.internet import asyncioreactor
    asyncioreactor.install()
    from twisted.internet import reactor, task

    x, telegram = FakeX(reactor).listen(), FakeTelegram(reactor).listen()
    x.response_delay_s = telegram.response_delay_s = args.response_delay
    stats = reactor.listenTCP(0, quiet_site(Stats(x, telegram)), interface="127.0.0.1")
    log = open(args.sent_log, "a", encoding="utf-8")

    def record(entry: dict) -> None:
        log.write(json.dumps(entry) + "\n")
        log.flush()
    x.on_posted.append(lambda r: record({"channel": "x", "in_reply_to": r["in_reply_to_tweet_id"],
                                         "id": r["id"]}))
    telegram.on_sent.append(lambda s: record({"channel": "telegram", "chat_id": s["chat_id"],
                                              "text": s["text"][:40]}))
    counts = {"x": 0, "telegram": 0}

    def tick() -> None:
        if counts["x"] < args.mentions:
            x.mention(f"warga{counts['x']}", f"@lapor1708 PekalonganKota Lampu mati no {counts['x']}")
            counts["x"] += 1
        if counts["telegram"] < args.messages:
            telegram_message(telegram, counts["telegram"])
            counts["telegram"] += 1
    task.LoopingCall(tick).start(1.0 / args.rate, now=False)
    print(json.dumps({"event": "fakes listening", "x": x.base_url, "telegram": telegram.base_url,
                      "account_id": x.account["id"], "telegram_token": telegram.token,
                      "stats": f"http://127.0.0.1:{stats.getHost().port}/"}), flush=True)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

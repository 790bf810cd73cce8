"""X mentions → complaint messages: the rules as tables (pure functions, no network)."""
import pytest

from gateway.channels.x.mentions import body_of, fit_reply, messages_from_page

ACCOUNT = "1708"


@pytest.mark.parametrize("text, body", [
    ("@lapor1708 PekalonganKota Jalan rusak di Jl. Merdeka", "PekalonganKota Jalan rusak di Jl. Merdeka"),
    ("@pemkot_pkl @lapor1708   Kab. Banyumas Lampu mati", "Kab. Banyumas Lampu mati"),
    ("@lapor1708 #PekalonganKota jalan rusak", "#PekalonganKota jalan rusak"),
    ("@lapor1708 jalan rusak parah #PekalonganKota", "#PekalonganKota jalan rusak parah"),
    ("@lapor1708 jalan #PekalonganKota rusak", "#PekalonganKota jalan rusak"),
    ("@lapor1708 antre &gt; 3 jam &amp; petugas tidak ada", "antre > 3 jam & petugas tidak ada"),
    ("@lapor1708 hubungi @dinaspu soal ini", "hubungi @dinaspu soal ini"),   # only leading mentions go
    ("@lapor1708", ""),
    ("Jateng bus ngetem @lapor1708", "Jateng bus ngetem @lapor1708"),
    ("@lapor1708 email a#b bukan tagar", "email a#b bukan tagar"),
    ("@lapor1708 cek #1000001", "cek #1000001"),      # a tracking number is no region hashtag
    ("@lapor1708 cek #1000001 #Jateng", "#Jateng cek #1000001"),
])
def test_body_is_the_post_without_leading_mentions_and_a_hashtag_is_the_keyword(text, body):
    assert body_of(text) == body


def post(post_id, author, text, refs=()):
    p = {"id": post_id, "author_id": author, "text": text, "conversation_id": post_id}
    if refs:
        p["referenced_tweets"] = [{"type": t, "id": i} for t, i in refs]
    return p


def test_a_page_becomes_messages_oldest_first_without_own_posts_and_reposts():
    page = {
        "data": [  # newest first, as the API pages
            post("105", "77", "@lapor1708", refs=[("replied_to", "90")]),
            post("104", ACCOUNT, "@warga LAPOR! Aduan diterima, nomor #1000001"),
            post("103", "78", "RT @warga: @lapor1708 jalan rusak", refs=[("retweeted", "101")]),
            post("102", "79", "@lapor1708 jalan rusak", refs=[("quoted", "50")]),
            post("101", "80", "@lapor1708 KabBanyumas Lampu mati"),
        ],
        "includes": {"users": [{"id": "77", "username": "a"}],
                     "tweets": [post("90", "81", "Jalan berlubang di depan SDN 2 #PekalonganKota")]},
        "meta": {"result_count": 5, "newest_id": "105", "oldest_id": "101"},
    }
    messages = messages_from_page(page, ACCOUNT)
    assert [(m.dedup_key, m.sender, m.text, m.flags) for m in messages] == [
        ("101", "80", "KabBanyumas Lampu mati", ()),
        ("102", "79", "jalan rusak", ()),
        ("105", "77", "#PekalonganKota Jalan berlubang di depan SDN 2", ("text_from_replied_post",)),
    ]
    assert all(m.channel == "x" and m.reply_context["tweet_id"] == m.dedup_key for m in messages)


def test_an_empty_page_has_no_data_and_no_messages():
    assert messages_from_page({"meta": {"result_count": 0}}, ACCOUNT) == []


def test_replies_fit_one_post_and_keep_their_start():
    assert fit_reply("x" * 280) == "x" * 280
    cut = fit_reply("LAPOR! nomor #1000001 " + "y" * 400)
    assert len(cut) == 280 and cut.startswith("LAPOR! nomor #1000001") and cut.endswith("…")

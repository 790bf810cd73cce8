"""What a citizen reads when their case moves (`[replies.templates.updates]`): one SMS
whatever the case store writes, checked at load like every reply template, shipped as
the code's defaults."""
import pytest

from gateway.case_status import STATUSES
from gateway.config import ConfigError, load_config
from gateway.gsm7 import SMS_SEPTETS, as_gsm7, septets
from gateway.update_text import UpdateTemplates, UpdateWriter
from tests.support import MAPPING, REPO, cli, write_config

WRITER = UpdateWriter(UpdateTemplates())
LONGEST = "9" * 12


def test_the_shipped_config_carries_the_defaults_and_the_settings_keys():
    settings = load_config(REPO / "config" / "gateway.toml")
    assert settings.replies.templates.updates == UpdateTemplates()
    assert (settings.replies.updates_per_case_per_day, settings.forwarder.status_timeout_s,
            settings.http.events_listen) == (3, 5.0, "")


@pytest.mark.parametrize("status", [*STATUSES, "escalated"])
def test_every_status_reads_as_one_sms_with_the_number(status):
    text = WRITER.for_event(LONGEST, status, None)
    assert f"#{LONGEST}" in text and septets(text) <= SMS_SEPTETS
    assert not text.endswith(" ")


def test_the_case_stores_words_are_shown_made_gsm7_and_cut_at_a_word_to_fit():
    words = ("Laporan “Anda” sudah kami teruskan — mohon ditunggu… Petugas Dinas Pekerjaan Umum"
             " akan meninjau lokasi dalam minggu ini dan menghubungi Anda bila perlu 🙏")
    text = WRITER.for_event(LONGEST, "assigned", words)
    assert septets(text) is not None and septets(text) <= SMS_SEPTETS
    assert text.startswith(f"LAPOR! Aduan #{LONGEST} sudah diteruskan ke instansi yang berwenang."
                           ' Laporan "Anda" sudah kami teruskan - mohon ditunggu...')
    assert text.endswith("...") and "🙏" not in text
    assert WRITER.for_event("1000001", "rejected", "Bukan kewenangan daerah").endswith(
        "tidak dapat ditindaklanjuti. Bukan kewenangan daerah")


def test_a_status_beyond_the_vocabulary_is_told_in_the_stores_words_or_its_own():
    assert WRITER.for_event("1000001", "escalated", "Diteruskan ke Kementerian PUPR") == (
        "LAPOR! Status aduan #1000001: Diteruskan ke Kementerian PUPR")
    assert WRITER.for_event("1000001", "on_hold", None) == "LAPOR! Status aduan #1000001: on hold"


def test_free_text_from_the_case_store_is_made_gsm7():
    assert as_gsm7("Jóga  “x”\t🙏") == 'Joga "x"'


@pytest.mark.parametrize("key, template, words", [
    ("rejected", "LAPOR! " + "x" * 150 + " #{tracking}", ["[replies.templates.updates].rejected", "needs 171"]),
    ("closed", "Aduan selesai.", ["[replies.templates.updates].closed", "{tracking}"]),
    ("verified", "#{tracking} {region}", ["[replies.templates.updates].verified", "uses {region}"]),
    ("other", "#{tracking} — {status_text}", ["[replies.templates.updates].other", "GSM-7"]),
    ("assigned", "#{tracking} {status_text", ["[replies.templates.updates].assigned", "not a valid template"]),
])
def test_a_broken_update_template_stops_the_program_naming_it(tmp_path, key, template, words):
    path = write_config(tmp_path / "gateway.toml", f"[parser]\nmapping = '{MAPPING}'\n"
                                                   f"[replies.templates.updates]\n{key} = '{template}'\n")
    result = cli("check-config", path)
    assert result.returncode == 78
    for word in words:
        assert word in result.stderr


def test_an_unknown_status_key_and_a_negative_cap_are_refused(tmp_path):
    path = write_config(tmp_path / "gateway.toml", f"[parser]\nmapping = '{MAPPING}'\n"
                                                   "[replies]\nupdates_per_case_per_day = -1\n"
                                                   "[replies.templates.updates]\nescalated = '#{tracking}'\n")
    result = cli("check-config", path)
    assert result.returncode == 78 and "unknown key [replies.templates.updates].escalated" in result.stderr


@pytest.mark.parametrize("key, text, words", [
    ("help", "LAPOR! " + "x" * 160, ["[replies.commands].help", "needs 167"]),
    ("status", "Aduan #{tracking}: {status} ({date}) " + "x" * 90,
     ["[replies.commands].status", "needs 1", "longest status"]),
    ("stopped", "Berhenti, #{tracking}", ["[replies.commands].stopped", "uses {tracking}; it may use none"]),
    ("not_found", "#{tracking} {status}", ["[replies.commands].not_found", "it may use {tracking}"]),
    ("started", "Mulai lagi — terima kasih", ["[replies.commands].started", "GSM-7"]),
    ("mine", "Aduan: {cases", ["[replies.commands].mine", "not a valid template"]),
])
def test_a_command_answer_that_cannot_fit_or_is_malformed_stops_the_config_load(tmp_path, key, text, words):
    """Issue 16: every answer to a citizen's command is checked at load to fit one SMS at
    worst, with the same words as the reply and update templates."""
    path = write_config(tmp_path / "gateway.toml",
                        f"[parser]\nmapping = '{MAPPING}'\n[replies.commands]\n{key} = '''{text}'''\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    for word in [str(path), *words]:
        assert word in str(error.value), str(error.value)

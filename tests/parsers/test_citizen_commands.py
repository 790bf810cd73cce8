"""The command table (issue 16): which messages are commands and which are complaints
that merely start with a command word. A complaint wrongly taken for a command would get
no case; a command taken for a complaint opens a needless one — the rule errs toward
the complaint."""
import pytest
from hypothesis import given, strategies as st

from gateway.parsers.citizen_commands import Command, CommandKind, recognise

CHECK, HELP, STOP, START = CommandKind.CHECK, CommandKind.HELP, CommandKind.STOP, CommandKind.START

COMMANDS = [
    ("CEK 1000001", Command(CHECK, "1000001")),
    ("cek #1000001", Command(CHECK, "1000001")),
    ("Cek: 1000001.", Command(CHECK, "1000001")),
    ("cek#1000001", Command(CHECK, "1000001")),
    ("CEK-5000123", Command(CHECK, "5000123")),
    ("STATUS 1000001", Command(CHECK, "1000001")),
    ("status #1000001?", Command(CHECK, "1000001")),
    ("Cek status 1000001", Command(CHECK, "1000001")),
    ("cek laporan no. 1000001", Command(CHECK, "1000001")),
    ("Cek nomor 1000001", Command(CHECK, "1000001")),
    ("@lapor1708 cek #1000001", Command(CHECK, "1000001")),
    ("@lapor1708 @kominfo status 1000001", Command(CHECK, "1000001")),
    ("/cek 1000001", Command(CHECK, "1000001")),
    ("/cek@LaporTestBot 1000001", Command(CHECK, "1000001")),
    ("/status", Command(CHECK)),
    ("CEK", Command(CHECK)),
    ("cek.", Command(CHECK)),
    ("Status laporan", Command(CHECK)),
    ("  cek   status  ", Command(CHECK)),
    ("BANTUAN", Command(HELP)),
    ("bantuan?", Command(HELP)),
    ("Info", Command(HELP)),
    ("HELP!", Command(HELP)),
    ("@lapor1708 info", Command(HELP)),
    ("STOP", Command(STOP)),
    ("stop!!!", Command(STOP)),
    ("Berhenti", Command(STOP)),
    ("/stop", Command(STOP)),
    ("MULAI", Command(START)),
    ("Mulai.", Command(START)),
    ("Start", Command(START)),
    ("/mulai", Command(START)),
]

COMPLAINTS = [
    "Cek kesehatan di puskesmas ditolak karena tidak bawa KTP",
    "Cek kesehatan gratis tidak jalan",
    "Info jalan rusak di Jl. Merdeka depan SDN 2",
    "Info: lampu PJU mati sejak seminggu di gang kami",
    "Stop pungli di kelurahan Tegalrejo",
    "STOP pembuangan sampah liar di kali",
    "Berhenti beroperasi pabrik tahu tapi limbahnya masih dibuang",
    "Status anak saya tidak terdaftar di BPJS",
    "Status tanah kami tidak jelas sejak 2019",
    "Cek 1000001 kok belum ada kabar sama sekali",
    "cek ulang data bansos, nama saya hilang",
    "Mulai besok jalan ditutup tanpa pemberitahuan",
    "Bantuan sosial tidak sampai ke warga RT 03",
    "Bantuan PKH dipotong oleh pendamping",
    "Help jalan berlubang di depan pasar",
    "PekalonganKota Stop parkir liar di alun-alun",
    "Jateng cek kesehatan di puskesmas ditolak",
    "Menu makan bergizi gratis di SD kami basi",
    "Start up desa tidak pernah dibina",
]


@pytest.mark.parametrize(("text", "expected"), COMMANDS, ids=[t for t, _ in COMMANDS])
def test_commands_are_recognised(text, expected):
    assert recognise(text) == expected


@pytest.mark.parametrize("text", COMPLAINTS)
def test_complaints_that_start_with_a_command_word_stay_complaints(text):
    assert recognise(text) is None


def test_the_table_is_as_large_as_the_issue_asks():
    assert len(COMMANDS) + len(COMPLAINTS) >= 30 and len(COMPLAINTS) >= 15


@given(st.sampled_from(["cek", "status", "info", "bantuan", "stop", "berhenti", "mulai"]),
       st.lists(st.sampled_from(["jalan", "rusak", "di", "puskesmas", "kami", "lampu", "mati"]),
                min_size=2, max_size=8))
def test_a_command_word_followed_by_words_is_a_complaint(word, words):
    assert recognise(" ".join([word, *words])) is None


@given(st.one_of(st.text(max_size=80), st.builds(
    lambda word, rest: word + rest,
    st.sampled_from(["cek", "CEK", "Status", "info", "stop", "mulai", "@lapor1708 ", "/cek", "**", "1", "ç"]),
    st.text(max_size=40))))
def test_the_quick_look_at_the_first_word_never_changes_the_answer(text):
    """Most messages are complaints: a glance at the first word lets them pass without the
    full reading, and must agree with it."""
    from gateway.parsers.citizen_commands import _recognised
    assert recognise(text) == _recognised(text)

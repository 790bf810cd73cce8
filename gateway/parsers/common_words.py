"""Ordinary Indonesian words that must never be read as a misspelt region name.

A complaint often begins with an everyday word that is one letter away from a region
(`Pasar` / Kabupaten Paser, `Sampah` / Sampang, `Malam` / Malang, `Kampung` / Lampung).
Exact region names still route; this list only stops the typo matcher from "correcting"
such a word into a region. It is deliberately generous: a missed typo leaves a complaint
unrouted (the national desk still gets it), a wrong correction sends it to the wrong agency.
"""
from __future__ import annotations

COMMON_WORDS = frozenset("""
ada adik adu aduan agak agama air ajar akan aku akses alam alamat aman ambil ambruk anak
angin angkot angkut anggaran antar antre antri antrian apa api apakah atap atas atau awal
ayah ayo bagaimana bagi bagian bagus bahan bahaya baik baju bakar balai banjir bank bantu
bantuan banyak bapak bara barang baru basah batas batu bau bawa bawah bayar bayi beberapa
becek beda begitu bekas belajar belakang beli belum benar bencana bendung bensin berapa
beras berat berbau berita besar besok betul biar biasa biaya bidan bikin bilang bisa
bocor bodoh bohong boleh bpjs bu buang buat bukan buka bukit bulan buruk bus butuh
cabang cair calo camat cari catat cepat cuma curang curi dalam dan dana danau dapat dari
darurat datang dekat demam denda dengan depan desa di dia dinas dingin dimana diri dokter
dong dulu dusun ekonomi empat enak gaji gampang ganti gas gedung gelap gempa gerobak gigi
got gratis guru habis hal halo hampir hanya harap harga hari harus hasil hati hebat hilang
hitam hitung hujan hukum hutan ibu ijin ikan ikut ini info informasi ingin isi itu izin
jadi jadwal jalan jam jangan jarang jauh jelas jelek jembatan jual juga kabar kabel kakak
kali kalian kamar kami kampung kampus kamu kanan kantor kapan karena kartu kasih kasus
kata kayu kebakaran kebersihan kebun kecamatan kecelakaan kecil kedua keluar keluarga
keluh keluhan kelurahan kemarin kenapa kepada kepala kerja kering kerusakan kesehatan
ketika kiri kita kok korban korupsi kosong kotor kuat kurang labuh ladang lagi lain
lalu lama lambat lampu lancar langsung lapangan lapar lapor laporan lari lebih lewat
liar lihat lima listrik longsor luar lubang lurah maaf macet mahal makan maka malam malas
mana mandi masalah masih masuk masyarakat mati mau melapor melaporkan melihat memang
menjadi mereka merah minggu minta minum miskin mobil mohon motor muda mudah mulai murah
musim nakal nama nanti negara nelayan nomor obat oknum oleh orang pagi pajak pak paket
paling panas panjang pantai parah parkir pasar pasien pasti pegawai pejabat pelabuhan
pelayanan pemerintah pendek penduduk pengaduan perawat perbaiki perlu permisi pernah
pertama pesawahan petani petugas pindah pintu pohon polisi posyandu pukul pulang pungli
pungutan puskesmas putus rakyat ramai rambu rapat rawan rendah retak roboh rumah rusak
saat saja sakit salah saluran sama sampah sampai samping sana sangat sapi saya sebab
sebelum sedang sedikit segera sehat sejak sekali sekarang sekolah selalu selamat selesai
semua sendiri seorang sepeda sepi sering sertifikat setelah setiap siang siap siapa
sini situ solo sore suami sudah sulit sumur sungai supaya surat susah tadi tagihan tahun
takut tambah tampak tanah tanggal tanpa tanya tapi tarif tawar teman tempat tengah
tenggelam terang terima terlalu terminal tetapi tiap tidak tiga tinggal tinggi tiket
toilet tolong tua tuhan tumbang turun tutup uang ujung umum untuk urus utama wah waktu
warga warung wc yang yth
alur asalan bandara bangku bantal beli bendungan beres buah bulanan button depot diari dompet
ember garuk gigi goa jambang kapal kapas kendala kolak koran kotak kotoran kupas langkah lebah
lucu melawan ngadat pagu paku pekarangan pemadaman pembangunan pemukiman penerangan perbaikan
perbatasan perumahan sambal seruan sikat sisi tahanan takar tarikan tegar tujuan waja
""".split())

"""The bundled SMSC simulator: a small SMPP 3.4 SMSC for demos, tests, drills and
benchmarks (`lapor-gateway smsc-sim`, docs/smsc-simulator.md). It is the gateway's
counterpart, not part of it: it uses the SMS channel's PDU codec, framing and text
coding, and nothing of the gateway uses it."""

"""The SMPP 3.4 channel's protocol building blocks and the bundled SMSC simulator.

codec (PDU bytes), constants, text (short_message alphabets), concat (long-message
reassembly), dlr (delivery receipts), framing (the Twisted protocol base) and
simulator (an SMSC for tests and demos). The ESME session built on them lives beside.
"""

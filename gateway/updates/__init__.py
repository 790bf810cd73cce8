"""The case store's status updates, to the citizen: `POST /case-store/events`.

The central case store pushes each change of a case's status (docs/case-store-api.yaml,
`webhooks`), signed with the shared secret `case_store_webhook_secret`. The webhook
(`webhook.py`) checks the signature and its time (`signature.py`) and the body
(`event_body.py`); the desk (`desk.py`) records the event with the citizen's
notification in one transaction — before the case store hears 2xx — and hands the
notification to the outbox, which sends it on the channel the complaint came from.
"""

"""The admin commands' old name for the complaint journal: `gateway/admin.py` imports
`journal`. Everything here is `complaint_journal`'s; this module only keeps that import
working until admin.py imports `complaint_journal` itself, and can then go."""
from gateway.store.complaint_journal import list_complaints, revive_dead, show_complaint

__all__ = ["list_complaints", "revive_dead", "show_complaint"]
